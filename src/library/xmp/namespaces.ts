// The XMP namespaces imlage reads and writes.

export const NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  digiKam: 'http://www.digikam.org/ns/1.0/',
  lr: 'http://ns.adobe.com/lightroom/1.0/',
  /** imlage's own: which tags it wrote, by which plugin, model and version, how sure, when. */
  imlage: 'http://ns.imlage.org/xmp/1.0/',
  /** Metadata Working Group regions (faces and other areas), as digiKam, Lightroom and exiftool read them. */
  'mwg-rs': 'http://www.metadataworkinggroup.com/schemas/regions/',
  stArea: 'http://ns.adobe.com/xmp/sType/Area#',
  stDim: 'http://ns.adobe.com/xap/1.0/sType/Dimensions#',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

export type Prefix = Exclude<keyof typeof NS, 'xmlns'>;
