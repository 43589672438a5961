"""Certificates for the TLS tests, made with the openssl command-line tool: EC P-256 keys, a
test CA and an unrelated second CA, server certificates (good, encrypted key, expired, wrong
name, and a second good one to rotate to), and client certificates from each CA.

As a module: generate(directory) writes the files and returns their paths. As a program:
`python3 tls_certs.py DIR` writes the same files into DIR (for the C++ tests) and prints
nothing on success; server-enc.pass holds the passphrase of server-enc.key.

Every file name below is a contract with those tests; the set of files only grows."""

import os
import secrets
import subprocess
import sys
from types import SimpleNamespace

# Test material, not a secret: the C++ tests read it from server-enc.pass.
PASSPHRASE = "ringside-test-passphrase"

VALID_DAYS = 3650

# One config for every `openssl req` and `openssl x509 -req` below, so that the system's
# openssl.cnf (which distributions differ in) adds no extensions of its own.
OPENSSL_CNF = """\
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
[wrong_name]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
"""


def _openssl(*args):
    proc = subprocess.run(["openssl"] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed (%d):\n%s" %
                           (" ".join(args), proc.returncode, proc.stderr))
    return proc.stdout


def _key(path):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", path)


def _self_signed_ca(cnf, key, crt, cn):
    _key(key)
    _openssl("req", "-x509", "-new", "-key", key, "-subj", "/CN=" + cn, "-days",
             str(VALID_DAYS), "-config", cnf, "-extensions", "ca", "-out", crt)


def _signed(cnf, key, crt, cn, ca_crt, ca_key, section, days=VALID_DAYS):
    """A certificate for `key` (created when missing), signed by the CA; days < 0 makes it
    expired already (notAfter before notBefore, which is now)."""
    if not os.path.exists(key):
        _key(key)
    csr = crt + ".csr"
    _openssl("req", "-new", "-key", key, "-subj", "/CN=" + cn, "-config", cnf, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
             "-set_serial", str(secrets.randbits(63)), "-days", str(days),
             "-extfile", cnf, "-extensions", section, "-out", crt)
    os.remove(csr)


def generate(directory):
    """Writes the files into `directory` (created if needed) and returns their paths and the
    passphrase, as attributes named after the files."""
    os.makedirs(directory, exist_ok=True)
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    f = SimpleNamespace(
        ca_crt=p("ca.crt"), ca_key=p("ca.key"),
        other_ca_crt=p("other-ca.crt"), other_ca_key=p("other-ca.key"),
        server_crt=p("server.crt"), server_key=p("server.key"),
        server_enc_key=p("server-enc.key"), passphrase=PASSPHRASE,
        passphrase_file=p("server-enc.pass"),
        expired_crt=p("expired.crt"),        # server.key's, expired
        wrong_name_crt=p("wrong-name.crt"),  # server.key's, for wrong.example only
        rotated_crt=p("rotated.crt"), rotated_key=p("rotated.key"),  # CN=rotated.localhost
        client_crt=p("client.crt"), client_key=p("client.key"),
        other_client_crt=p("other-client.crt"), other_client_key=p("other-client.key"),
        ca_dir=p("ca-dir"),          # ca.crt alone, in the hashed layout tls-ca-cert-dir wants
        dh_params=p("dhparams.pem"), # RFC 7919 ffdhe2048, for tls-dh-params-file
    )
    cnf = p("openssl.cnf")
    with open(cnf, "w") as out:
        out.write(OPENSSL_CNF)

    _self_signed_ca(cnf, f.ca_key, f.ca_crt, "ringside test CA")
    _self_signed_ca(cnf, f.other_ca_key, f.other_ca_crt, "unrelated test CA")

    _signed(cnf, f.server_key, f.server_crt, "localhost", f.ca_crt, f.ca_key, "server")
    _openssl("pkey", "-in", f.server_key, "-aes256", "-passout", "pass:" + PASSPHRASE,
             "-out", f.server_enc_key)
    with open(f.passphrase_file, "w") as out:
        out.write(PASSPHRASE + "\n")
    _signed(cnf, f.server_key, f.expired_crt, "localhost", f.ca_crt, f.ca_key, "server",
            days=-1)
    _signed(cnf, f.server_key, f.wrong_name_crt, "wrong.example", f.ca_crt, f.ca_key,
            "wrong_name")
    _signed(cnf, f.rotated_key, f.rotated_crt, "rotated.localhost", f.ca_crt, f.ca_key,
            "server")

    _signed(cnf, f.client_key, f.client_crt, "ringside test client", f.ca_crt, f.ca_key,
            "client")
    _signed(cnf, f.other_client_key, f.other_client_crt, "unrelated test client",
            f.other_ca_crt, f.other_ca_key, "client")

    os.makedirs(f.ca_dir, exist_ok=True)
    subject_hash = _openssl("x509", "-hash", "-noout", "-in", f.ca_crt).strip()
    with open(f.ca_crt) as src, open(os.path.join(f.ca_dir, subject_hash + ".0"), "w") as dst:
        dst.write(src.read())

    _openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_param:ffdhe2048",
             "-out", f.dh_params)
    return f


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: %s DIR\n" % sys.argv[0])
        sys.exit(2)
    generate(sys.argv[1])
