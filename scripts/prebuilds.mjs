// `npm run prebuilds`: the binaries an npm package carries for this
// platform, so that installing it needs no compiler:
//   prebuilds/<platform>-<arch>/imlage.<tags>.node   the addon (prebuildify: node-gyp
//                                                    from binding.gyp, N-API, stripped,
//                                                    tagged glibc/musl on Linux)
//   plugins/<name>/lib/<platform>-<arch>/lib*.so     the shipped native plugins, where
//                                                    their plugin.toml names them
//                                                    (cmake without the addon, stripped)
// Both are built in a scratch copy of the checkout, so build/ (the cmake-js
// build the tests use) is left alone. Run it once per platform (linux-x64,
// linux-arm64, darwin-arm64) and gather the outputs before `npm pack`
// (docs/packaging.md). Fails when a shipped plugin has no library for this
// platform afterwards (e.g. cargo missing for the Rust plugin `quality`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const platform = `${process.platform}-${process.arch}`;
const say = (m) => process.stderr.write(`prebuilds: ${m}\n`);

function run(cmd, args, cwd) {
  say([cmd, ...args].join(' '));
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`prebuilds: ${cmd} failed (exit ${r.status ?? r.signal})`);
}

const work = mkdtempSync(join(tmpdir(), 'imlage-prebuilds-'));
try {
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  if (files.status !== 0) throw new Error('prebuilds: run this in a git checkout of imlage');
  for (const f of files.stdout.split('\0').filter(Boolean)) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(work, f), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  const bin = (name) => join(root, 'node_modules', '.bin', name);

  run(bin('prebuildify'), ['--napi', '--strip', '--tag-libc'], work);
  run(bin('cmake-js'), ['compile', '--out', 'build-plugins', '--CDIMLAGE_BUILD_ADDON=OFF'], work);

  cpSync(join(work, 'prebuilds', platform), join(root, 'prebuilds', platform), { recursive: true });
  const missing = [];
  for (const name of readdirSync(join(work, 'plugins')).sort()) {
    const manifest = join(work, 'plugins', name, 'plugin.toml');
    if (!existsSync(manifest)) continue;
    const { kind, library } = parse(readFileSync(manifest, 'utf8'));
    if (kind !== 'native') continue;
    const lib = library?.[platform];
    if (!lib || !existsSync(join(work, 'plugins', name, lib))) {
      missing.push(`${name} (${lib ?? `no [library] entry for ${platform}`})`);
      continue;
    }
    const built = join(work, 'plugins', name, lib);
    // Keep the dynamic symbol table (smi_plugin_init); drop everything else.
    run('strip', process.platform === 'darwin' ? ['-x', built] : ['--strip-unneeded', built], work);
    cpSync(built, join(root, 'plugins', name, lib));
    say(`plugins/${name}/${lib}`);
  }
  if (missing.length > 0) throw new Error(`prebuilds: no library built for ${platform}: ${missing.join(', ')}`);
  say(`addon: ${readdirSync(join(root, 'prebuilds', platform)).join(', ')} in prebuilds/${platform}/`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
