#pragma once

// Faults a running sandbox injects on request (`pier sandbox faults`), so the journey can be
// tried against the failures real clusters have:
//  - Marathon and the GCE API answer a share of requests with their own 5xx error bodies, and a
//    share "time out" in either real way: held without an answer until the client gives up
//    (nothing done), or carried out and the reply lost (the connection dropped after the action:
//    the nasty one for a POST or a GCE insert);
//  - the SOCKS5 proxy cuts a share of SSH (port 22) connections after some bytes, mid-session.
// Every fate is drawn from a hash of (seed, service, request kind, how many of that kind came
// before), so one seed gives the n-th request of each kind the same fate whatever the order in
// which parallel steps send them.

#include "sandbox/httpserver.h"

#include <QHash>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QString>

namespace pier::sandbox {

class SocksProxy;

struct FaultSettings {
    double marathon5xx = 0;     // share of Marathon requests answered 500/503
    double marathonTimeout = 0; // share held or answered-then-dropped
    double gce5xx = 0;          // share of GCE API requests answered 500/503/429
    double gceTimeout = 0;
    double sshDrop = 0; // share of SSH connections through the proxy cut mid-session
    // Only the HTTP requests whose "METHOD /path" starts with this (empty: all), e.g.
    // "POST /v2/apps" for the lost reply of a launch alone.
    QString only;
    enum class Timeouts { Both, Held, Lost } timeouts = Timeouts::Both; // which kind of timeout
    quint64 seed = 1;
    quint64 serial = 0; // bumped by every `pier sandbox faults`; the daemon echoes what it applied

    bool any() const;
    QJsonObject toJson() const;
    static FaultSettings fromJson(const QJsonObject &o);
    // "Marathon 5xx 20%, timeouts 10%; SSH drops 30%; seed 7", or "off".
    QString describe() const;
    // "marathon-5xx=0.2,gce-timeout=10%,ssh-drop=0.3,seed=7" (PIER_SANDBOX_FAULTS at `up`).
    static bool parse(const QString &text, FaultSettings *out, QString *error);
    // "0.2" or "20%" → 0.2; false when not a share from 0 to 1.
    static bool parseShare(const QString &text, double *out);
    // The option names, in the order `pier sandbox faults` lists them.
    static QStringList knobs();
    bool set(const QString &knob, double share); // false: no such knob
    // "both", "held", "lost"; false for anything else.
    static bool parseTimeouts(const QString &text, Timeouts *out);
};

QString faultsFile(const QString &stateDir);        // STATE/faults.json: what was asked
QString faultsAppliedFile(const QString &stateDir); // STATE/faults-applied.json: what runs

// Deterministic draws in [0, 1) per kind of request (see above).
class FaultDice {
public:
    FaultDice() = default;
    FaultDice(quint64 seed, const QByteArray &service) : m_seed(seed), m_service(service) {}
    // Two independent draws for the next request of KIND.
    QPair<double, double> roll(const QString &kind);

private:
    quint64 m_seed = 1;
    QByteArray m_service;
    QHash<QString, quint64> m_counts;
};

// Installs the settings on the daemon's servers (on their threads) and reports each fault.
class FaultInjector : public QObject {
    Q_OBJECT
public:
    // The proxy may live on another thread; the HTTP servers on this one.
    FaultInjector(HttpServer *marathon, HttpServer *gce, SocksProxy *proxy,
                  QObject *parent = nullptr);
    ~FaultInjector() override;
    void apply(const FaultSettings &settings); // starts the dice again from the seed
    FaultSettings settings() const { return m_settings; }

    // The request kind a fate is drawn for: the method and the path, with the generated names
    // in it (operations, deployments, tasks) replaced by "*".
    static QString requestKind(const HttpRequest &request);

signals:
    // service: "marathon", "gce" or "proxy"; what: "POST /v2/apps: 503", "... reply dropped".
    void injected(const QString &service, const QString &what);

private:
    HttpServer::FaultDecision decide(const QString &service, const HttpRequest &request);

    HttpServer *m_marathon;
    HttpServer *m_gce;
    SocksProxy *m_proxy;
    FaultSettings m_settings;
    FaultDice m_marathonDice, m_gceDice;
};

} // namespace pier::sandbox
