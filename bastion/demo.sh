#!/usr/bin/env bash
# The bastion in the local development stack, with a demo target: OpenSSH's sshd run as the
# current user on a loopback port, trusting the CA. For ./dev up; never for a real deployment
# (the demo target's host certificate is signed straight from the development CA's key file).
#
#   bastion/demo.sh prepare   before the CA starts: the bastion's key, the CA's `bastions:` entry
#                             (printed on stdout, to append to the CA's config), and, when it
#                             is missing, a policy directory .dev/policies = policies/examples +
#                             a role for the demo
#   bastion/demo.sh run       once the CA answers: starts the demo target and the bastion
#                             (foreground; Ctrl-C stops both)
#   bastion/demo.sh login     a key and a certificate from the CA for the development user, and
#                             .dev/demo/ssh_config to use them: ssh -F .dev/demo/ssh_config demo
#                             (until `writ login` does it for you)
#
# Environment: WRIT_DEV_CA_PORT (8080), WRIT_DEV_IDP_PORT (9000), WRIT_DEV_BASTION_PORT (2222),
# WRIT_DEV_TARGET_PORT (2201), WRIT_DEV_BASTION_METRICS_PORT (9102).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEV=$ROOT/.dev
CA_URL=http://127.0.0.1:${WRIT_DEV_CA_PORT:-8080}
IDP_URL=http://127.0.0.1:${WRIT_DEV_IDP_PORT:-9000}/dev
BASTION_PORT=${WRIT_DEV_BASTION_PORT:-2222}
TARGET_PORT=${WRIT_DEV_TARGET_PORT:-2201}
METRICS_PORT=${WRIT_DEV_BASTION_METRICS_PORT:-9102}
LOGIN=$(id -un)

prepare() {
  mkdir -p "$DEV/bastion" "$DEV/policies"
  chmod 700 "$DEV/bastion"
  [ -f "$DEV/bastion/bastion_key" ] || ssh-keygen -q -t ed25519 -N '' -C "writ dev bastion" -f "$DEV/bastion/bastion_key"
  # the example policies, plus a role that lets the development cast in as the login the demo
  # target accepts (sshd run as $LOGIN logs in no one else); copied only when missing, so that
  # edits made to .dev/policies stay (the CA reloads them while it runs)
  if ! compgen -G "$DEV/policies/*.y*ml" >/dev/null; then
    cp "$ROOT"/policies/examples/*.yaml "$DEV/policies/"
  fi
  [ -f "$DEV/policies/zz-demo.yaml" ] || cat > "$DEV/policies/zz-demo.yaml" <<POLICY
# Added by bastion/demo.sh for ./dev up: the demo target, reached through the bastion.
roles:
  - name: demo
    match: { email: ["*@example.com"], groups: [engineering, sre] }
    principals: ["$LOGIN"]
    targets: [ { hosts: [demo] } ]
    ttl: 8h
    max_ttl: 12h
    extensions: [permit-pty, permit-port-forwarding, permit-agent-forwarding]
    idle_timeout: 1h
POLICY
  cat <<YAML
bastions:
  - name: dev-bastion
    public_key: "$(cat "$DEV/bastion/bastion_key.pub")"
    addresses: ["127.0.0.1/32", "::1/128"]
    hostnames: ["127.0.0.1", "localhost", "demo"]
YAML
}

wait_for_ca() {
  for _ in $(seq 1 120); do
    curl -fs "$CA_URL/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "demo: the CA at $CA_URL does not answer" >&2
  exit 1
}

start_target() {
  local dir=$DEV/demo-target
  mkdir -p "$dir"
  [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C demo -f "$dir/ssh_host_ed25519_key"
  # development only: the demo target's host certificate straight from the dev CA's key file
  ssh-keygen -q -s "$DEV/data/keys/host_ca" -h -I "host demo" -n demo -V -5m:+1d "$dir/ssh_host_ed25519_key.pub"
  curl -fs "$CA_URL/v1/ca/user.pub" > "$dir/trusted_user_ca_keys"
  cat > "$dir/sshd_config" <<SSHD
Port $TARGET_PORT
ListenAddress 127.0.0.1
HostKey $dir/ssh_host_ed25519_key
HostCertificate $dir/ssh_host_ed25519_key-cert.pub
TrustedUserCAKeys $dir/trusted_user_ca_keys
PidFile $dir/sshd.pid
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
Subsystem sftp internal-sftp
SSHD
  chmod 600 "$dir/sshd_config"
  /usr/sbin/sshd -D -e -f "$dir/sshd_config" > "$dir/sshd.log" 2>&1 &
  echo $! > "$DEV/demo-target.pid"
}

start_bastion() {
  cat > "$DEV/bastion/bastion.yaml" <<YAML
# The bastion of the local development stack (bastion/demo.sh).
listen: 127.0.0.1:$BASTION_PORT
name: dev-bastion
key: ./bastion_key
hostnames: [127.0.0.1, localhost]
ca:
  url: $CA_URL
targets:
  - name: demo
    address: 127.0.0.1:$TARGET_PORT
    labels: { env: dev }
metrics: 127.0.0.1:$METRICS_PORT
YAML
  echo "demo: target 'demo' (sshd as $LOGIN) on 127.0.0.1:$TARGET_PORT, bastion on 127.0.0.1:$BASTION_PORT"
  echo "      get a certificate: bastion/demo.sh login; then ssh -F .dev/demo/ssh_config demo"
  java -jar "$ROOT/bastion/target/writ-bastion.jar" --config "$DEV/bastion/bastion.yaml"
}

login() {
  local dir=$DEV/demo
  mkdir -p "$dir"
  chmod 700 "$dir"
  rm -f "$dir/id_ed25519" "$dir/id_ed25519.pub" "$dir/id_ed25519-cert.pub"
  ssh-keygen -q -t ed25519 -N '' -C "writ demo" -f "$dir/id_ed25519"
  # an ID token from the DEVELOPMENT issuer, which accepts any password: `writ login` will do this properly
  local token
  token=$(curl -fs -d grant_type=password -d "username=$LOGIN" -d password=dev -d client_id=writ -d client_secret=x \
    -d scope=openid "$IDP_URL/token" | grep -o '"id_token" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
  curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"public_key\":\"$(cat "$dir/id_ed25519.pub")\"}" "$CA_URL/v1/certs/user" \
    | grep -o '"certificate" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' > "$dir/id_ed25519-cert.pub"
  curl -fs "$CA_URL/v1/ca/known_hosts" > "$dir/known_hosts"
  cat > "$dir/ssh_config" <<CONFIG
# Written by bastion/demo.sh login: the demo target through the bastion, trusting only the dev CA.
Host writ-bastion
    HostName 127.0.0.1
    Port $BASTION_PORT
Host demo
    User $LOGIN
    ProxyJump writ-bastion
Host *
    IdentityFile $dir/id_ed25519
    CertificateFile $dir/id_ed25519-cert.pub
    IdentitiesOnly yes
    UserKnownHostsFile $dir/known_hosts
    StrictHostKeyChecking yes
    Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com
CONFIG
  ssh-keygen -L -f "$dir/id_ed25519-cert.pub" | grep -E 'Key ID|Valid:'

  echo "demo: ssh -F $dir/ssh_config demo          (ProxyJump)"
  echo "      ssh -F $dir/ssh_config -p $BASTION_PORT $LOGIN@demo@127.0.0.1   (login@target@bastion)"
}

case "${1:-}" in
  prepare) prepare ;;
  run)
    [ -f "$ROOT/bastion/target/writ-bastion.jar" ] || { echo "demo: build first (mvn -q -B -DskipTests package)" >&2; exit 1; }
    wait_for_ca
    start_target
    trap 'kill "$(cat "$DEV/demo-target.pid")" 2>/dev/null || true' EXIT
    start_bastion ;;
  login) login ;;
  *) echo "usage: bastion/demo.sh prepare | run | login" >&2; exit 2 ;;
esac
