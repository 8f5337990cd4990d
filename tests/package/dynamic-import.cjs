// Plain CommonJS on any supported Node (20.9+): import() loads the ES module.
import('imlage')
  .then(async ({ Engine }) => {
    const engine = await Engine.create({ plugins: ['objects'] });
    const r = await engine.tagOne(process.argv[2]);
    await engine.close();
    if (r.results.objects.error || r.results.objects.tags[0].label !== 'person') {
      throw new Error(`dynamic-import consumer: unexpected ${JSON.stringify(r)}`);
    }
    console.log('cjs import() ok: person');
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
