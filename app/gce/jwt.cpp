#include "gce/jwt.h"

#include <QJsonDocument>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

namespace pier::gce::jwt {

namespace {

struct BioFree {
    void operator()(BIO *b) const { BIO_free(b); }
};
struct PkeyFree {
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

QString lastOpenSslError()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return QStringLiteral("unknown OpenSSL error");
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return QString::fromLatin1(buf);
}

QByteArray bioToBytes(BIO *bio)
{
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return QByteArray(data, int(len));
}

} // namespace

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray fromBase64Url(const QByteArray &encoded)
{
    return QByteArray::fromBase64(encoded, QByteArray::Base64UrlEncoding);
}

QByteArray signRs256(const QByteArray &privateKeyPem, const QByteArray &data, QString *error)
{
    BioPtr bio(BIO_new_mem_buf(privateKeyPem.constData(), int(privateKeyPem.size())));
    PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) {
        if (error)
            *error =
                QStringLiteral("the private key is not a PEM RSA key (%1)").arg(lastOpenSslError());
        return {};
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char *>(data.constData()),
                       size_t(data.size())) != 1) {
        if (error)
            *error = QStringLiteral("cannot sign with this key (%1)").arg(lastOpenSslError());
        return {};
    }
    QByteArray signature(qsizetype(len), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &len,
                       reinterpret_cast<const unsigned char *>(data.constData()),
                       size_t(data.size())) != 1) {
        if (error)
            *error = QStringLiteral("cannot sign with this key (%1)").arg(lastOpenSslError());
        return {};
    }
    signature.resize(qsizetype(len));
    return signature;
}

bool verifyRs256(const QByteArray &publicKeyPem, const QByteArray &data,
                 const QByteArray &signature)
{
    BioPtr bio(BIO_new_mem_buf(publicKeyPem.constData(), int(publicKeyPem.size())));
    PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!key || !ctx ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
        ERR_clear_error();
        return false;
    }
    const int ok = EVP_DigestVerify(
        ctx.get(), reinterpret_cast<const unsigned char *>(signature.constData()),
        size_t(signature.size()), reinterpret_cast<const unsigned char *>(data.constData()),
        size_t(data.size()));
    ERR_clear_error();
    return ok == 1;
}

QByteArray makeJwt(const QJsonObject &claims, const QByteArray &privateKeyPem, QString *error)
{
    const QJsonObject header{{QStringLiteral("alg"), QStringLiteral("RS256")},
                             {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QByteArray signedPart = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact)) +
                                  '.' +
                                  base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray signature = signRs256(privateKeyPem, signedPart, error);
    if (signature.isEmpty())
        return {};
    return signedPart + '.' + base64Url(signature);
}

Decoded decode(const QByteArray &token)
{
    Decoded d;
    const QList<QByteArray> parts = token.trimmed().split('.');
    if (parts.size() != 3)
        return d;
    const QJsonDocument header = QJsonDocument::fromJson(fromBase64Url(parts[0]));
    const QJsonDocument claims = QJsonDocument::fromJson(fromBase64Url(parts[1]));
    if (!header.isObject() || !claims.isObject())
        return d;
    d.header = header.object();
    d.claims = claims.object();
    d.signedPart = parts[0] + '.' + parts[1];
    d.signature = fromBase64Url(parts[2]);
    d.ok = true;
    return d;
}

KeyPair generateRsaKeyPair(int bits)
{
    KeyPair pair;
    PkeyPtr key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
    if (!key)
        return pair;
    BioPtr priv(BIO_new(BIO_s_mem()));
    BioPtr pub(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1)
        pair.privatePem = bioToBytes(priv.get());
    if (PEM_write_bio_PUBKEY(pub.get(), key.get()) == 1)
        pair.publicPem = bioToBytes(pub.get());
    return pair;
}

} // namespace pier::gce::jwt
