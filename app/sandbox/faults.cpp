#include "sandbox/faults.h"

#include "sandbox/socksproxy.h"

#include <QJsonArray>
#include <QMetaObject>
#include <QRegularExpression>

namespace pier::sandbox {

namespace {

// splitmix64: a fixed, well-mixed 64-bit hash step (the same on every platform and run).
quint64 mix(quint64 x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

quint64 fnv1a(const QByteArray &data, quint64 h = 0xcbf29ce484222325ULL)
{
    for (const char c : data) {
        h ^= quint8(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

double unit(quint64 x)
{
    return double(x >> 11) * (1.0 / 9007199254740992.0); // 53 bits → [0, 1)
}

QString percent(double share)
{
    return QString::number(share * 100, 'g', 3) + QLatin1Char('%');
}

struct Knob {
    const char *name;
    double FaultSettings::*field;
};

const Knob kKnobs[] = {
    {"marathon-5xx", &FaultSettings::marathon5xx},
    {"marathon-timeout", &FaultSettings::marathonTimeout},
    {"gce-5xx", &FaultSettings::gce5xx},
    {"gce-timeout", &FaultSettings::gceTimeout},
    {"ssh-drop", &FaultSettings::sshDrop},
};

} // namespace

bool FaultSettings::any() const
{
    return marathon5xx > 0 || marathonTimeout > 0 || gce5xx > 0 || gceTimeout > 0 || sshDrop > 0;
}

QStringList FaultSettings::knobs()
{
    QStringList out;
    for (const Knob &k : kKnobs)
        out << QLatin1String(k.name);
    return out;
}

bool FaultSettings::set(const QString &knob, double share)
{
    for (const Knob &k : kKnobs) {
        if (knob == QLatin1String(k.name)) {
            this->*k.field = share;
            return true;
        }
    }
    return false;
}

bool FaultSettings::parseTimeouts(const QString &text, Timeouts *out)
{
    static const QHash<QString, Timeouts> names{{QStringLiteral("both"), Timeouts::Both},
                                                {QStringLiteral("held"), Timeouts::Held},
                                                {QStringLiteral("lost"), Timeouts::Lost}};
    if (!names.contains(text))
        return false;
    *out = names.value(text);
    return true;
}

namespace {
QString timeoutsName(FaultSettings::Timeouts t)
{
    switch (t) {
    case FaultSettings::Timeouts::Held:
        return QStringLiteral("held");
    case FaultSettings::Timeouts::Lost:
        return QStringLiteral("lost");
    case FaultSettings::Timeouts::Both:
        break;
    }
    return QStringLiteral("both");
}
} // namespace

QJsonObject FaultSettings::toJson() const
{
    QJsonObject o{{QStringLiteral("seed"), QString::number(seed)},
                  {QStringLiteral("serial"), QString::number(serial)},
                  {QStringLiteral("only"), only},
                  {QStringLiteral("timeouts"), timeoutsName(timeouts)}};
    for (const Knob &k : kKnobs)
        o.insert(QLatin1String(k.name), this->*k.field);
    return o;
}

FaultSettings FaultSettings::fromJson(const QJsonObject &o)
{
    FaultSettings s;
    for (const Knob &k : kKnobs)
        s.*k.field = qBound(0.0, o.value(QLatin1String(k.name)).toDouble(), 1.0);
    s.seed = o.value(QStringLiteral("seed")).toString().toULongLong();
    s.only = o.value(QStringLiteral("only")).toString();
    parseTimeouts(o.value(QStringLiteral("timeouts")).toString(), &s.timeouts);
    s.serial = o.value(QStringLiteral("serial")).toString().toULongLong();
    return s;
}

QString FaultSettings::describe() const
{
    if (!any())
        return QStringLiteral("off");
    QStringList parts;
    auto service = [&](const QString &name, double errors, double timeouts, const QString &what) {
        QStringList p;
        if (errors > 0)
            p << QStringLiteral("%1 of requests answered %2").arg(percent(errors), what);
        if (timeouts > 0)
            p << QStringLiteral("%1 timing out (%2)")
                     .arg(percent(timeouts),
                          this->timeouts == Timeouts::Held   ? QStringLiteral("held unanswered")
                          : this->timeouts == Timeouts::Lost ? QStringLiteral("done, reply lost")
                                                             : QStringLiteral("held unanswered, "
                                                                              "or done and the "
                                                                              "reply lost"));
        if (!p.isEmpty())
            parts << name + QStringLiteral(": ") + p.join(QStringLiteral(", "));
    };
    service(QStringLiteral("Marathon"), marathon5xx, marathonTimeout, QStringLiteral("500/503"));
    service(QStringLiteral("GCE API"), gce5xx, gceTimeout, QStringLiteral("500/503/429"));
    if (!only.isEmpty() && !parts.isEmpty())
        parts.last() += QStringLiteral(" (only \"%1...\")").arg(only);
    if (sshDrop > 0)
        parts << QStringLiteral("SSH: %1 of connections cut mid-session").arg(percent(sshDrop));
    return parts.join(QStringLiteral("; ")) + QStringLiteral("; seed %1").arg(seed);
}

bool FaultSettings::parseShare(const QString &text, double *out)
{
    QString t = text.trimmed();
    const bool isPercent = t.endsWith(QLatin1Char('%'));
    if (isPercent)
        t.chop(1);
    bool ok = false;
    double v = t.toDouble(&ok);
    if (!ok)
        return false;
    if (isPercent)
        v /= 100;
    if (v < 0 || v > 1)
        return false;
    *out = v;
    return true;
}

bool FaultSettings::parse(const QString &text, FaultSettings *out, QString *error)
{
    FaultSettings s;
    for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString key = item.section(QLatin1Char('='), 0, 0).trimmed();
        const QString value = item.section(QLatin1Char('='), 1).trimmed();
        if (key == QLatin1String("only")) {
            s.only = value;
            continue;
        }
        if (key == QLatin1String("timeouts")) {
            if (!parseTimeouts(value, &s.timeouts)) {
                *error = QStringLiteral("timeouts is both, held or lost, not \"%1\"").arg(value);
                return false;
            }
            continue;
        }
        if (key == QLatin1String("seed")) {
            bool ok = false;
            s.seed = value.toULongLong(&ok);
            if (!ok) {
                *error = QStringLiteral("the seed must be a whole number, not \"%1\"").arg(value);
                return false;
            }
            continue;
        }
        double share = 0;
        if (!knobs().contains(key)) {
            *error = QStringLiteral("no fault \"%1\"; there are %2, only, timeouts and seed")
                         .arg(key, knobs().join(QStringLiteral(", ")));
            return false;
        }
        if (!parseShare(value, &share)) {
            *error = QStringLiteral("%1 needs a share from 0 to 1 (0.2) or a percentage (20%), "
                                    "not \"%2\"")
                         .arg(key, value);
            return false;
        }
        s.set(key, share);
    }
    if (s.marathon5xx + s.marathonTimeout > 1 || s.gce5xx + s.gceTimeout > 1) {
        *error = QStringLiteral("the 5xx and timeout shares of one service add up to more than 1");
        return false;
    }
    *out = s;
    return true;
}

QString faultsFile(const QString &stateDir)
{
    return stateDir + QStringLiteral("/faults.json");
}

QString faultsAppliedFile(const QString &stateDir)
{
    return stateDir + QStringLiteral("/faults-applied.json");
}

QPair<double, double> FaultDice::roll(const QString &kind)
{
    const QByteArray key = kind.toUtf8();
    const quint64 n = m_counts[kind]++;
    const quint64 h = mix(fnv1a(key, fnv1a(m_service, mix(m_seed))) ^ mix(n));
    return {unit(h), unit(mix(h))};
}

FaultInjector::FaultInjector(HttpServer *marathon, HttpServer *gce, SocksProxy *proxy,
                             QObject *parent)
    : QObject(parent), m_marathon(marathon), m_gce(gce), m_proxy(proxy)
{
    auto dropped = [this](const QString &service) {
        return [this, service](const QString &method, const QString &path, int status) {
            emit injected(
                service,
                QStringLiteral("%1 %2: done (%3), reply dropped").arg(method, path).arg(status));
        };
    };
    if (m_marathon) {
        m_marathon->setFaultPolicy(
            [this](const HttpRequest &r) { return decide(QStringLiteral("marathon"), r); });
        connect(m_marathon, &HttpServer::replyDropped, this, dropped(QStringLiteral("marathon")));
    }
    if (m_gce) {
        m_gce->setFaultPolicy(
            [this](const HttpRequest &r) { return decide(QStringLiteral("gce"), r); });
        connect(m_gce, &HttpServer::replyDropped, this, dropped(QStringLiteral("gce")));
    }
    if (m_proxy)
        connect(
            m_proxy, &SocksProxy::connectionCut, this,
            [this](const QString &target, qint64 bytes) {
                emit injected(
                    QStringLiteral("proxy"),
                    QStringLiteral("%1: connection cut after %2 B").arg(target).arg(bytes));
            },
            Qt::QueuedConnection);
}

FaultInjector::~FaultInjector()
{
    for (HttpServer *server : {m_marathon, m_gce}) {
        if (server)
            server->setFaultPolicy({});
    }
}

void FaultInjector::apply(const FaultSettings &settings)
{
    m_settings = settings;
    m_marathonDice = FaultDice(settings.seed, "marathon");
    m_gceDice = FaultDice(settings.seed, "gce");
    if (m_proxy)
        m_proxy->setSshDrop(settings.sshDrop, settings.seed);
}

QString FaultInjector::requestKind(const HttpRequest &request)
{
    // Names the servers make up differ from run to run; a kind must not.
    static const QRegularExpression generated(
        QStringLiteral("/(operations|deployments|tasks)/[^/]+"));
    QString path = request.path;
    path.replace(generated, QStringLiteral("/\\1/*"));
    return QString::fromLatin1(request.method) + QLatin1Char(' ') + path;
}

HttpServer::FaultDecision FaultInjector::decide(const QString &service, const HttpRequest &request)
{
    using Action = HttpServer::FaultDecision::Action;
    const bool marathon = service == QLatin1String("marathon");
    const double errors = marathon ? m_settings.marathon5xx : m_settings.gce5xx;
    const double timeouts = marathon ? m_settings.marathonTimeout : m_settings.gceTimeout;
    HttpServer::FaultDecision d;
    // The sandbox's own liveness probe (`pier sandbox status`) stays truthful, and the OAuth
    // token endpoint is another service than the Compute Engine API.
    if ((errors <= 0 && timeouts <= 0) || (marathon && request.path == QLatin1String("/ping")) ||
        (!marathon && request.path == QLatin1String("/token")))
        return d;
    const QString what = QString::fromLatin1(request.method) + QLatin1Char(' ') + request.path;
    if (!m_settings.only.isEmpty() && !what.startsWith(m_settings.only))
        return d;
    const QString kind = requestKind(request);
    const auto [fate, variant] = (marathon ? m_marathonDice : m_gceDice).roll(kind);
    if (fate < errors) {
        d.action = Action::Respond;
        if (marathon) {
            // Marathon's errors are {"message": ...}; 503 while it has no leader.
            const bool unavailable = variant < 0.6;
            d.response = HttpResponse::json(
                unavailable ? 503 : 500,
                QJsonObject{{QStringLiteral("message"),
                             unavailable
                                 ? QStringLiteral("Could not determine the current leader")
                                 : QStringLiteral("An unexpected server error occurred: "
                                                  "futures timed out after [10 seconds]")}});
        } else {
            // Google's envelope: {"error": {code, message, errors: [{message, domain, reason}],
            // status}}.
            int code = 503;
            QString reason = QStringLiteral("backendError"), status = QStringLiteral("UNAVAILABLE");
            QString message = QStringLiteral("The service is currently unavailable.");
            QString domain = QStringLiteral("global");
            if (variant >= 0.5 && variant < 0.8) {
                code = 500;
                status = QStringLiteral("INTERNAL");
                message = QStringLiteral("Internal error. Please try again or contact Google "
                                         "Support. (Code: '5e1a7f2c0b3d4e6f')");
            } else if (variant >= 0.8) {
                code = 429;
                reason = QStringLiteral("rateLimitExceeded");
                status = QStringLiteral("RESOURCE_EXHAUSTED");
                domain = QStringLiteral("usageLimits");
                message = QStringLiteral("Rate Limit Exceeded");
            }
            const QJsonObject item{{QStringLiteral("message"), message},
                                   {QStringLiteral("domain"), domain},
                                   {QStringLiteral("reason"), reason}};
            d.response = HttpResponse::json(
                code, QJsonObject{{QStringLiteral("error"),
                                   QJsonObject{{QStringLiteral("code"), code},
                                               {QStringLiteral("message"), message},
                                               {QStringLiteral("errors"), QJsonArray{item}},
                                               {QStringLiteral("status"), status}}}});
        }
        emit injected(service, QStringLiteral("%1: answered %2").arg(what).arg(d.response.status));
    } else if (fate < errors + timeouts) {
        // Half held (nothing done), half done with the reply lost, unless one kind was asked.
        const FaultSettings::Timeouts t = m_settings.timeouts;
        if (t == FaultSettings::Timeouts::Held ||
            (t == FaultSettings::Timeouts::Both && variant < 0.5)) {
            d.action = Action::NoAnswer;
            emit injected(service, QStringLiteral("%1: held without an answer").arg(what));
        } else {
            d.action = Action::DropReply; // reported by replyDropped once it is done
        }
    }
    return d;
}

} // namespace pier::sandbox
