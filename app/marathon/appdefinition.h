#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace pier::marathon {

// Where a text failed to parse as JSON, 1-based, for "FILE:LINE:COL: message".
struct JsonParseError {
    int line = 0;
    int column = 0;
    int offset = -1; // byte offset, -1 when the text parsed
    QString message;
    bool isError() const { return offset >= 0; }
};

// One problem with an app definition, as Marathon reports it: a JSON pointer and a message.
struct ValidationIssue {
    QString path;    // "/container/docker/image", "/" for the whole object
    QString message; // Marathon's wording where Marathon has one
    bool operator==(const ValidationIssue &o) const
    {
        return path == o.path && message == o.message;
    }
};

// How the definition describes its network and ports.
//  Legacy (Marathon < 1.5): container.docker.network + container.docker.portMappings, or top-level
//  ports. Modern (1.5+): networks[{mode}] + container.portMappings, or portDefinitions.
enum class NetworkForm { Unspecified, Legacy, Modern };
enum class NetworkMode { Host, Bridge, Container /* user network */ };

struct PortMapping {
    int containerPort = 0;
    int hostPort = 0;    // 0: chosen by Mesos
    int servicePort = 0; // 0: chosen by Marathon
    QString protocol;    // "tcp", "udp", "udp,tcp"; empty: default tcp
    QString name;
    QJsonObject labels;
    QJsonObject extra; // other keys of the mapping, kept as they were
};

struct HealthCheck {
    QString protocol; // HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP
    QString path;
    int portIndex = -1; // -1: not set
    int port = -1;      // -1: not set
    int gracePeriodSeconds = 300;
    int intervalSeconds = 60;
    int timeoutSeconds = 20;
    int maxConsecutiveFailures = 3;
    QString command; // for COMMAND: command.value
    QJsonObject extra;
};

// A Marathon app definition. The JSON object is the source of truth: typed accessors read and
// write into it, so fields Pier does not know survive load -> edit -> save untouched.
class AppDefinition {
public:
    AppDefinition() = default;
    explicit AppDefinition(const QJsonObject &json) : m_json(json) {}

    // Parses a file's text; on failure returns an empty definition and fills *error
    // (line and column computed from the offset). A top-level value that is not an
    // object is an error too.
    static AppDefinition parse(const QByteArray &text, JsonParseError *error);
    static JsonParseError locate(const QByteArray &text, int offset, const QString &message);

    const QJsonObject &json() const { return m_json; }
    void setJson(const QJsonObject &json) { m_json = json; }
    QByteArray toJson(bool indented = true) const;

    // Generic access by JSON pointer ("/container/docker/image"). setValue creates missing
    // parent objects; remove() drops the key and any parent objects left empty by it.
    QJsonValue value(const QString &pointer) const;
    void setValue(const QString &pointer, const QJsonValue &value);
    void remove(const QString &pointer);

    // Typed accessors for the editor's form. Setters with an "empty" value remove the key.
    QString id() const;
    void setId(const QString &id);
    QString image() const;               // container.docker.image
    void setImage(const QString &image); // creates container {type: DOCKER, docker: {...}}
    NetworkForm networkForm() const;
    NetworkMode networkMode() const;         // Host when nothing says otherwise
    void setNetworkMode(NetworkMode mode);   // written in the form the definition already uses
    QList<PortMapping> portMappings() const; // from whichever form is used
    void setPortMappings(const QList<PortMapping> &ports); // into whichever form is used
    double cpus() const;                                   // Marathon's default (1) when missing
    void setCpus(double cpus);
    double mem() const; // default 128
    void setMem(double mem);
    double disk() const; // default 0
    void setDisk(double disk);
    int instances() const; // default 1
    void setInstances(int instances);
    QString cmd() const;
    void setCmd(const QString &cmd);
    QMap<QString, QString> env() const; // string values only; secrets refs are kept in json
    void setEnv(const QMap<QString, QString> &env);
    QMap<QString, QString> labels() const;
    void setLabels(const QMap<QString, QString> &labels);
    QList<QStringList> constraints() const; // [["hostname","UNIQUE"], ...]
    void setConstraints(const QList<QStringList> &constraints);
    QList<HealthCheck> healthChecks() const;
    void setHealthChecks(const QList<HealthCheck> &checks);
    double minimumHealthCapacity() const; // upgradeStrategy, default 1
    double maximumOverCapacity() const;   // default 1
    void setUpgradeStrategy(double minimumHealthCapacity, double maximumOverCapacity);

    // The id made absolute ("nginx" -> "/nginx"), as Marathon stores it.
    QString absoluteId() const;

    // JSON pointer helpers (RFC 6901): "/a~1b/0" <-> {"a/b", "0"}. splitPointer() returns
    // an empty list for "" (the whole document); a pointer without the leading "/" is read
    // as if it had one.
    static QStringList splitPointer(const QString &pointer);
    static QString escapePointerToken(const QString &token);
    static QString joinPointer(const QStringList &tokens);

    // The definition in the 1.5+ form Marathon answers with (networks, container.portMappings,
    // portDefinitions, fetch), legacy fields translated and dropped. No defaults are added.
    QJsonObject canonicalForm() const;

    // What Marathon will fill in when it accepts this definition (the server's defaults for
    // every missing field), for the editor's "defaults" view and for the test server.
    QJsonObject withDefaults() const;

    bool operator==(const AppDefinition &o) const { return m_json == o.m_json; }

private:
    QJsonObject m_json;
};

// Validation as Marathon validates (1.x rules, accepting the 0.7 legacy forms). An empty list
// means Marathon would accept it. Issues are sorted by path.
QList<ValidationIssue> validateApp(const QJsonObject &app);
inline QList<ValidationIssue> validateApp(const AppDefinition &app)
{
    return validateApp(app.json());
}

// Whether two definitions would give the same running app (defaults filled in on both sides,
// fields Marathon adds itself such as version and tasks ignored). Used by "is it already running?".
bool sameDeployedSpec(const QJsonObject &a, const QJsonObject &b);

} // namespace pier::marathon
