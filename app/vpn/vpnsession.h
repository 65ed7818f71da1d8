#pragma once

#include "vpn/management.h"
#include "vpn/ovpnconfig.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <functional>

class QTimer;

namespace pier::vpn {

struct Credentials {
    bool ok = false;
    QString user;
    QString password;
    QString error; // why there are none ("no keychain entry; set PIER_VPN_USER ...")
};
// Asked when OpenVPN wants a user name and password for REALM ("Auth"); answers through REPLY.
using CredentialsProvider =
    std::function<void(const QString &realm, std::function<void(const Credentials &)> reply)>;

// How OpenVPN was (or would be) started.
enum class LaunchMethod { None, Running, Direct, Pkexec, Sudo, NetworkManager };
QString launchMethodName(LaunchMethod m);

// Finds a running OpenVPN through its management interface, or starts one the way this machine
// allows (directly as root, pkexec, sudo -n, or NetworkManager), and follows it to CONNECTED,
// answering its prompts. On failure an OpenVPN that Pier started is stopped again.
class VpnSession : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString configPath;
        QString managementHost = QStringLiteral("127.0.0.1"); // used when the .ovpn names none
        int managementPort = 0;                               // 0: defaultManagementPort()
        QString openvpnProgram;                               // empty: looked up
        int connectTimeoutMs = 90000;                         // the whole connection
        int serverTimeoutMs = 20000; // from start to the server's first answer
        bool allowStart = true;      // false: only attach to a running OpenVPN
        QList<LaunchMethod> methods; // empty: every method this machine may allow, in order
    };
    struct Result {
        enum class Outcome {
            Connected,
            AuthFailed,
            ServerUnreachable,
            NotRunning,  // allowStart false and none found
            StartFailed, // no way to start OpenVPN worked (message says each and why)
            Exited,      // OpenVPN stopped (FATAL, a bad option, ...)
            TimedOut,
            NoCredentials,
            Cancelled,
        };
        Outcome outcome = Outcome::Exited;
        QString message; // what happened and what to do
        VpnState state;  // the last state seen
        LaunchMethod method = LaunchMethod::None;
        bool startedByPier = false;
        QString managementAddress;
        QString nmConnection; // NetworkManager's connection uuid, when handed to it
        bool ok() const { return outcome == Outcome::Connected; }
        static QString outcomeName(Outcome o);
    };

    VpnSession(const Options &options, const OvpnConfig &config, QObject *parent = nullptr);
    ~VpnSession() override;

    void setCredentialsProvider(CredentialsProvider p) { m_credentials = std::move(p); }

    // Attach or start, then follow to CONNECTED. DONE is called once.
    void connectVpn(std::function<void(const Result &)> done);
    // Is an OpenVPN answering on the management address, and in which state? (read-only)
    void probe(std::function<void(bool found, const VpnState &state, const QString &error)> done);
    // Stops the OpenVPN on the management address (`signal SIGTERM`), or takes the
    // NetworkManager connection down.
    void disconnectVpn(std::function<void(bool ok, const QString &message)> done);
    void cancel();

    QString managementAddress() const;
    const Result &result() const { return m_result; }
    // The command a person would type to do what connectVpn does when it starts OpenVPN.
    QString equivalentCommand() const;
    // OpenVPN's arguments when Pier starts it.
    QStringList openvpnArguments() const;
    QString openvpnProgram() const;

    // A port derived from the config's path, so a later run finds the OpenVPN an earlier one
    // started without keeping any state.
    static int defaultManagementPort(const QString &configPath);

signals:
    void progress(const QString &text);
    void stateChanged(const pier::vpn::VpnState &state);
    void logLine(const QString &line);

private:
    void attach(bool startedByPier);
    void tryNextMethod();
    void startDetached(LaunchMethod method, const QString &program, const QStringList &args);
    void pollStarted();
    void startNetworkManager();
    void onState(const VpnState &s);
    void finish(Result::Outcome outcome, const QString &message);
    QString logTail() const;
    bool managementIsUnix() const;
    void connectManagement();

    Options m_options;
    OvpnConfig m_config;
    CredentialsProvider m_credentials;
    ManagementClient *m_mgmt = nullptr;
    QTimer *m_timer = nullptr; // polls while starting; the deadlines
    QElapsedTimer m_clock;
    QElapsedTimer m_sinceStart;
    std::function<void(const Result &)> m_done;
    Result m_result;
    QList<LaunchMethod> m_methods;
    QStringList m_attempts; // "sudo -n: a password is required"
    LaunchMethod m_current = LaunchMethod::None;
    qint64 m_pid = 0;
    QString m_logFile;
    int m_startWaitMs = 15000;
    bool m_serverAnswered = false;
    bool m_authFailed = false;
    bool m_finished = true;
};

} // namespace pier::vpn
