#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

// RS256 JSON Web Tokens with OpenSSL, as Google's OAuth token endpoint expects them for
// service-account keys. Shared by the credentials and by the sandbox's token endpoint, which
// checks the signature with the public half of the key pair it generated.
namespace pier::gce::jwt {

QByteArray base64Url(const QByteArray &data);        // no padding
QByteArray fromBase64Url(const QByteArray &encoded); // padding optional

// Signs `data` with RSA-SHA256 (PKCS#1 v1.5) using a PEM private key (PKCS#8 or PKCS#1).
// Empty result and `error` set when the key cannot be read or used.
QByteArray signRs256(const QByteArray &privateKeyPem, const QByteArray &data,
                     QString *error = nullptr);
bool verifyRs256(const QByteArray &publicKeyPem, const QByteArray &data,
                 const QByteArray &signature);

// header.claims.signature, each base64url; header is {"alg":"RS256","typ":"JWT"}.
QByteArray makeJwt(const QJsonObject &claims, const QByteArray &privateKeyPem,
                   QString *error = nullptr);

struct Decoded {
    bool ok = false;
    QJsonObject header;
    QJsonObject claims;
    QByteArray signedPart; // "header.claims" as sent
    QByteArray signature;
};
Decoded decode(const QByteArray &token);

struct KeyPair {
    QByteArray privatePem; // PKCS#8, as in Google's JSON keys
    QByteArray publicPem;  // SubjectPublicKeyInfo
};
KeyPair generateRsaKeyPair(int bits = 2048);

} // namespace pier::gce::jwt
