import { ConfigError, loadConfig } from '../../src/config/config';

/** The forms PEER_DNS_SERVER takes: what dns.Resolver#setServers accepts, nothing else. */
describe('PEER_DNS_SERVER', () => {
  it.each(['127.0.0.1', '127.0.0.1:5353', '10.96.0.10:53', '::1', '[::1]:5353', '[fd00::10]:53'])('accepts %s', (value) => {
    expect(loadConfig({ PEER_DNS_SERVER: value }).peerDnsServer).toBe(value);
  });

  it.each(['dns.example', 'dns.example:53', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:', '[::1]', '::1:5353x', '127.0.0.1:53:53'])(
    'refuses %s, naming the variable',
    (value) => {
      expect(() => loadConfig({ PEER_DNS_SERVER: value })).toThrow(ConfigError);
      expect(() => loadConfig({ PEER_DNS_SERVER: value })).toThrow(/PEER_DNS_SERVER must be an IP address, optionally with :port/);
    },
  );
});

describe('ADMIN_TOKEN_FILE', () => {
  it('is made absolute, so the log names the file that is read', () => {
    expect(loadConfig({ ADMIN_TOKEN_FILE: 'secrets/token' }).adminTokenFile).toBe(`${process.cwd()}/secrets/token`);
  });

  it('unset or empty leaves PUT /visits disabled', () => {
    expect(loadConfig({ ADMIN_TOKEN_FILE: '' }).adminTokenFile).toBeUndefined();
  });
});
