// What the deploy tests read of a sandbox a journey ran on, as a user would check it: the GCE
// API with the sandbox's service-account key, Marathon through the proxy, every node's
// iptables-save over OpenSSH through the proxy; and a `pier` run SIGKILLed on a line it prints.
#pragma once

#include "cluster/clustertestutil.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

#include <csignal>
#include <functional>
#include <memory>

namespace pier::test::deploy {

// What the sandbox holds that a journey can make or change.
struct Snapshot {
    QStringList addresses, pools, rules, firewalls; // names
    QMap<QString, QStringList> poolInstances;       // pool → its instances' names, as listed
    QMap<QString, QStringList> tags;                // instance → its tags
    QList<QPair<QString, int>> apps;                // Marathon app id, instances
    QMap<QString, int> runningTasks;                // app id → tasks TASK_RUNNING
    int tasks = 0;
    QString error;
};

inline QStringList minus(const QStringList &a, const QStringList &b)
{
    QStringList out;
    for (const QString &s : a) {
        if (!b.contains(s))
            out << s;
    }
    return out;
}

// The sandbox as `pier sandbox up --json` describes it, and a GCE token of its key.
struct SandboxView {
    QJsonObject up;
    QString proxy; // 127.0.0.1:port
    QString token;

    // VERB on the project's PATH; the answer's JSON, or {"error": ...}.
    QJsonObject gce(const QString &path, const QByteArray &verb = "GET",
                    const QJsonObject &body = {}) const
    {
        const QString base = up.value(QStringLiteral("gce_endpoint")).toString();
        QNetworkAccessManager nam;
        QNetworkRequest request(
            QUrl(base + (base.endsWith(QLatin1Char('/')) ? QString() : QStringLiteral("/")) +
                 QStringLiteral("projects/") + up.value(QStringLiteral("gce_project")).toString() +
                 QLatin1Char('/') + path));
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        QNetworkReply *reply = nam.sendCustomRequest(
            request, verb, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson());
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(10000, &loop, &QEventLoop::quit);
        loop.exec();
        const QByteArray answer = reply->isFinished() ? reply->readAll() : QByteArray();
        const bool ok = reply->isFinished() && reply->error() == QNetworkReply::NoError;
        delete reply;
        if (!ok)
            return {{QStringLiteral("error"),
                     QString::fromUtf8(answer.isEmpty() ? "no answer" : answer)}};
        return QJsonDocument::fromJson(answer).object();
    }

    QJsonArray marathon(const QString &path) const
    {
        const sandbox::testutil::Run r =
            sandbox::testutil::run(QStringLiteral("curl"),
                                   {QStringLiteral("-sf"), QStringLiteral("-m"),
                                    QStringLiteral("10"), QStringLiteral("--socks5-hostname"),
                                    proxy, up.value(QStringLiteral("marathon")).toString() + path});
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        return o
            .value(o.contains(QLatin1String("apps")) ? QStringLiteral("apps")
                                                     : QStringLiteral("tasks"))
            .toArray();
    }

    Snapshot snapshot() const
    {
        Snapshot s;
        const QString region = up.value(QStringLiteral("gce_region")).toString();
        const QString zone = up.value(QStringLiteral("gce_zone")).toString();
        auto names = [&](const QString &path, QStringList *out) {
            const QJsonObject o = gce(path);
            if (o.contains(QLatin1String("error")))
                s.error +=
                    path + QStringLiteral(": ") + o.value(QStringLiteral("error")).toString();
            for (const QJsonValue &i : o.value(QStringLiteral("items")).toArray()) {
                *out << i[QStringLiteral("name")].toString();
                if (path.endsWith(QLatin1String("/targetPools"))) {
                    QStringList members;
                    for (const QJsonValue &m : i[QStringLiteral("instances")].toArray())
                        members << m.toString().section(QLatin1Char('/'), -1);
                    s.poolInstances.insert(i[QStringLiteral("name")].toString(), members);
                }
            }
        };
        names(QStringLiteral("regions/%1/addresses").arg(region), &s.addresses);
        names(QStringLiteral("regions/%1/targetPools").arg(region), &s.pools);
        names(QStringLiteral("regions/%1/forwardingRules").arg(region), &s.rules);
        names(QStringLiteral("global/firewalls"), &s.firewalls);
        const QJsonObject instances = gce(QStringLiteral("zones/%1/instances").arg(zone));
        for (const QJsonValue &i : instances.value(QStringLiteral("items")).toArray()) {
            QStringList tags;
            for (const QJsonValue &t : i[QStringLiteral("tags")][QStringLiteral("items")].toArray())
                tags << t.toString();
            s.tags.insert(i[QStringLiteral("name")].toString(), tags);
        }
        for (const QJsonValue &a : marathon(QStringLiteral("/v2/apps")))
            s.apps << qMakePair(a[QStringLiteral("id")].toString(),
                                a[QStringLiteral("instances")].toInt());
        for (const QJsonValue &t : marathon(QStringLiteral("/v2/tasks"))) {
            ++s.tasks;
            if (t[QStringLiteral("state")].toString() == QLatin1String("TASK_RUNNING"))
                ++s.runningTasks[t[QStringLiteral("appId")].toString()];
        }
        return s;
    }

    // COMMAND on every node at once, over OpenSSH's ssh through the proxy: node name → its
    // output, or "ERROR " and its stderr.
    QMap<QString, QString> onNodes(const QString &command) const
    {
        const QString proxyCommand = QStringLiteral("nc -X 5 -x %1 %h %p").arg(proxy);
        QList<std::shared_ptr<QProcess>> procs;
        QStringList names;
        for (const QJsonValue &n : up.value(QStringLiteral("nodes")).toArray()) {
            auto p = std::make_shared<QProcess>();
            p->start(QStringLiteral("ssh"),
                     {QStringLiteral("-F"), QStringLiteral("/dev/null"), QStringLiteral("-o"),
                      QStringLiteral("BatchMode=yes"), QStringLiteral("-o"),
                      QStringLiteral("ProxyCommand=") + proxyCommand, QStringLiteral("-o"),
                      QStringLiteral("UserKnownHostsFile=") +
                          up.value(QStringLiteral("known_hosts")).toString(),
                      QStringLiteral("-o"), QStringLiteral("StrictHostKeyChecking=yes"),
                      QStringLiteral("-i"), up.value(QStringLiteral("ssh_key_file")).toString(),
                      up.value(QStringLiteral("ssh_user")).toString() + QLatin1Char('@') +
                          n[QStringLiteral("external_address")].toString(),
                      command});
            procs << p;
            names << n[QStringLiteral("name")].toString();
        }
        QMap<QString, QString> out;
        for (int i = 0; i < procs.size(); ++i) {
            QProcess &p = *procs.at(i);
            const bool ok = p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit &&
                            p.exitCode() == 0;
            out.insert(names.at(i), QString::fromUtf8(ok ? p.readAllStandardOutput()
                                                         : "ERROR " + p.readAllStandardError()));
        }
        return out;
    }

    // Every node's rules as iptables-save prints them, without its comments and counters.
    QMap<QString, QString> nodeRules() const
    {
        QMap<QString, QString> rules = onNodes(QStringLiteral("sudo iptables-save"));
        for (QString &text : rules) {
            text.remove(QRegularExpression(QStringLiteral("^#[^\n]*\n"),
                                           QRegularExpression::MultilineOption));
            text.replace(QRegularExpression(QStringLiteral("\\[\\d+:\\d+\\]")),
                         QStringLiteral("[0:0]"));
        }
        return rules;
    }
};

// A `pier` run SIGKILLed on the first stderr line (its "[  1.2s] " stamp removed) for which
// KILLON says so.
struct Killed {
    bool killed = false;
    QString line; // the line it was killed on
    QString err;  // everything it printed
    qint64 ms = 0;
};

inline Killed runKilled(const QStringList &args, const QString &configHome,
                        const QString &sandboxId,
                        const std::function<bool(const QString &line)> &killOn)
{
    Killed k;
    QElapsedTimer clock;
    clock.start();
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("XDG_CONFIG_HOME"), configHome);
    e.insert(QStringLiteral("PIER_SANDBOX_ID"), sandboxId);
    p.setProcessEnvironment(e);
    QByteArray buffer;
    static const QRegularExpression stamp(QStringLiteral("^\\[\\s*[\\d.]+s\\] "));
    QObject::connect(&p, &QProcess::readyReadStandardError, &p, [&] {
        buffer += p.readAllStandardError();
        qsizetype nl;
        while (!k.killed && (nl = buffer.indexOf('\n')) >= 0) {
            QString line = QString::fromUtf8(buffer.left(nl));
            buffer.remove(0, nl + 1);
            k.err += line + QLatin1Char('\n');
            line.remove(stamp);
            if (killOn(line)) {
                ::kill(pid_t(p.processId()), SIGKILL);
                k.killed = true;
                k.line = line;
                k.ms = clock.elapsed();
            }
        }
    });
    p.start(QStringLiteral(PIER_BINARY), args);
    if (!p.waitForStarted())
        return k;
    // QProcess delivers readyRead while it waits.
    p.waitForFinished(240000);
    if (!k.killed)
        k.err += QString::fromUtf8(buffer + p.readAllStandardError());
    return k;
}

} // namespace pier::test::deploy
