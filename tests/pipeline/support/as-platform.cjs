// Preloaded into npm's own CLI (node --require): npm then sees the machine as VISITS_AS_PLATFORM
// (os/cpu, e.g. darwin/arm64). npm's --os/--cpu flags do not stand in for this: they widen what
// npm installs for optional dependencies, and do not make npm refuse what the machine cannot run.
const [os, cpu] = (process.env.VISITS_AS_PLATFORM ?? '').split('/');
if (!os || !cpu) throw new Error('VISITS_AS_PLATFORM must be os/cpu, e.g. darwin/arm64');
Object.defineProperty(process, 'platform', { value: os });
Object.defineProperty(process, 'arch', { value: cpu });
