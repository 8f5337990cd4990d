// The bounds smi.h sets on what a plugin returns (SMI_MAX_*), for the code
// that checks results outside the addon (an isolated plugin's replies).
// tests/unit/smi-limits.test.ts reads them back from the header.

export const SMI_MAX_LABEL_BYTES = 1024;
export const SMI_MAX_TAGS = 100000;
export const SMI_MAX_REGIONS = 10000;
