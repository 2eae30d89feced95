// The configuration file the first `keyfront server` (npm start) writes to certs/dev/keyfront.yaml:
// KES's format, every setting that matters explained, so that it is the start of a production
// configuration. Paths are relative to the working directory the server starts in.

export function firstRunConfigYaml(adminIdentity: string): string {
  return `# keyfront configuration, written by the first \`keyfront server\` (\`npm start\`) run in this
# directory. keyfront loads it on every start without --config, and re-reads it on SIGHUP; your
# edits are kept. It is in KES's format: copy it to start a production configuration, then run
#   keyfront server --config keyfront.yaml
# Relative paths are resolved against the working directory the server is started in.
#
# For production, change at least:
#   1. tls:      a certificate for the server's DNS name issued by your CA (this one is
#                self-signed), and \`auth: on\` with \`ca:\` to accept only client certificates
#                your CA issued.
#   2. admin:    the identity of your operator's certificate or API key, or "disabled".
#   3. keystore: HashiCorp Vault instead of a local directory (the commented section below).
#   4. policy:   one policy per application, allowing only the routes and keys it needs.
#   5. address:  0.0.0.0:7373 to serve other hosts.
# \`keyfront server --config FILE\` lists every problem of a file as FILE:LINE path: what.

# Where to listen. 127.0.0.1: this host only. \`--addr HOST:PORT\` overrides it.
address: 127.0.0.1:7373

# The admin may call every route and bypasses the policies. This is the identity (SHA-256 of the
# public key) of certs/dev/admin.crt: \`keyfront identity of certs/dev/admin.crt\`.
admin:
  identity: ${adminIdentity}

tls:
  key: certs/dev/server.key      # the server's private key (0600)
  cert: certs/dev/server.crt     # self-signed, for localhost and 127.0.0.1: clients need --cacert or -k
  # auth: on                     # verify client certificates ...
  # ca: certs/ca.pem             # ... against this CA (file or directory) only

# Policies: which identities may call which routes. An identity is the SHA-256 of a client
# certificate's public key (\`keyfront identity of client.crt\`) or of a kes:v1: API key.
# A pattern ending in * is a prefix match, any other is exact; a matching deny wins. None yet:
# a policy without an identity serves no one (\`keyfront doctor\` reports it). Uncomment and adapt:
# policy:
#   my-app:
#     allow:
#       - /v1/key/create/my-app-*
#       - /v1/key/generate/my-app-*
#       - /v1/key/decrypt/my-app-*
#     deny:
#       - /v1/key/delete/*
#     identities:
#       - <the application's identity>   # keyfront identity of my-app.crt

# Decoded keys are cached: dropped \`any\` after loading, or \`unused\` after their last use.
# \`offline: 5m\` keeps cached keys serving while the keystore is unreachable.
cache:
  expiry:
    any: 5m
    unused: 30s

# Per-route settings; here: health probes (Kubernetes) without a client certificate.
api:
  /v1/ready:
    skip_auth: true

# error: the error log on stderr (DEBUG, INFO, WARN, ERROR or off);
# audit: one JSON line per request on stdout (on or off).
log:
  error: on
  audit: on

# Keys created at start (and on every reload) when missing; \`rotate\` adds a new version of the
# key every period (any replica does it; older versions still decrypt).
# keys:
#   - name: my-app-default-key
#     rotate: 90d

# Where the keys are stored. fs: one file per key in a directory (0700), for development and
# single hosts. For production, use Vault instead: remove \`fs\` and fill in \`vault\`.
keystore:
  # A deleted key stays pending deletion for this long (restore brings it back), then its
  # material is destroyed. 0 deletes at once, as KES does.
  deletion:
    window: 7d
  fs:
    path: data
  # vault:
  #   endpoint: https://vault.example.net:8200
  #   engine: kv                 # the K/V mount
  #   version: v2                # K/V v1 or v2, as the mount is
  #   prefix: keyfront           # a folder inside the mount, one per deployment
  #   approle:
  #     id: \${VAULT_ROLE_ID}     # whole-value \${VAR} references are read from the environment
  #     secret: \${VAULT_SECRET_ID}
  #   tls:
  #     ca: ./vault-ca.pem       # the CA of Vault's certificate
`;
}
