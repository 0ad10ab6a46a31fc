// node dpop_key_vectors.js > dpop_key_vectors.json
// Computes the DPoP key test vectors independently of the Go code: the
// P-256 key the agent derives from a dpop_keys secret, and the RFC 7638
// thumbprint its tokens carry in cnf.jkt.
//
// c = HKDF-SHA256(secret, salt = none, info = "portcullis oauth agent dpop
// key P-256", 40 bytes); d = (c mod (n - 1)) + 1 (FIPS 186-5 A.2.1).
const crypto = require('crypto');
const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
function derive(secretHex) {
  const c = Buffer.from(crypto.hkdfSync('sha256', Buffer.from(secretHex, 'hex'), Buffer.alloc(0),
    Buffer.from('portcullis oauth agent dpop key P-256'), 40));
  const d = BigInt('0x' + c.toString('hex')) % (n - 1n) + 1n;
  const dHex = d.toString(16).padStart(64, '0');
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(dHex, 'hex'));
  const pub = ecdh.getPublicKey(); // 04 ‖ x ‖ y
  const x = pub.subarray(1, 33).toString('base64url'), y = pub.subarray(33).toString('base64url');
  const jkt = crypto.createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`).digest('base64url');
  return {secret: secretHex, d: dHex, x, y, jkt};
}
const secrets = [
  '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  '8f2a1c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff0',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];
console.log(JSON.stringify(secrets.map(derive), null, 2));
