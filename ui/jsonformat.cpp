#include "ui/jsonformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <algorithm>

namespace pier::ui {

namespace {

constexpr int kIndent = 2;
constexpr int kInlineArrayWidth = 60;

// One ranking for every object: these keys mean the same wherever they appear, so a single
// order gives "id, cmd, container, cpus, ..." at the top and "containerPort, hostPort, ..."
// in a port mapping.
const QStringList &keyOrder()
{
    static const QStringList order{
        QStringLiteral("id"),
        QStringLiteral("cmd"),
        QStringLiteral("args"),
        QStringLiteral("user"),
        QStringLiteral("type"),
        QStringLiteral("image"),
        QStringLiteral("network"),
        QStringLiteral("containerPort"),
        QStringLiteral("hostPort"),
        QStringLiteral("servicePort"),
        QStringLiteral("protocol"),
        QStringLiteral("path"),
        QStringLiteral("portIndex"),
        QStringLiteral("port"),
        QStringLiteral("command"),
        QStringLiteral("gracePeriodSeconds"),
        QStringLiteral("intervalSeconds"),
        QStringLiteral("timeoutSeconds"),
        QStringLiteral("maxConsecutiveFailures"),
        QStringLiteral("container"),
        QStringLiteral("docker"),
        QStringLiteral("networks"),
        QStringLiteral("portMappings"),
        QStringLiteral("portDefinitions"),
        QStringLiteral("cpus"),
        QStringLiteral("mem"),
        QStringLiteral("disk"),
        QStringLiteral("gpus"),
        QStringLiteral("instances"),
        QStringLiteral("env"),
        QStringLiteral("labels"),
        QStringLiteral("constraints"),
        QStringLiteral("healthChecks"),
        QStringLiteral("upgradeStrategy"),
        QStringLiteral("minimumHealthCapacity"),
        QStringLiteral("maximumOverCapacity"),
    };
    return order;
}

// A scalar exactly as Qt writes it (numbers, escapes).
QString scalar(const QJsonValue &v)
{
    const QByteArray compact = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(compact.mid(1, compact.size() - 2));
}

bool isScalar(const QJsonValue &v)
{
    return !v.isArray() && !v.isObject();
}

void write(const QJsonValue &v, int depth, QString &out)
{
    const QString pad(depth * kIndent, QLatin1Char(' '));
    const QString inner((depth + 1) * kIndent, QLatin1Char(' '));
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        if (a.isEmpty()) {
            out += QStringLiteral("[]");
            return;
        }
        if (std::all_of(a.begin(), a.end(), [](const QJsonValue &e) { return isScalar(e); })) {
            QStringList parts;
            for (const QJsonValue &e : a)
                parts << scalar(e);
            const QString line =
                QStringLiteral("[") + parts.join(QStringLiteral(", ")) + QStringLiteral("]");
            if (line.size() <= kInlineArrayWidth) {
                out += line;
                return;
            }
        }
        out += QStringLiteral("[\n");
        for (qsizetype i = 0; i < a.size(); ++i) {
            out += inner;
            write(a.at(i), depth + 1, out);
            out += i + 1 < a.size() ? QStringLiteral(",\n") : QStringLiteral("\n");
        }
        out += pad + QStringLiteral("]");
        return;
    }
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        if (o.isEmpty()) {
            out += QStringLiteral("{}");
            return;
        }
        QStringList keys = o.keys();
        const QStringList &order = keyOrder();
        std::stable_sort(keys.begin(), keys.end(), [&order](const QString &a, const QString &b) {
            const qsizetype ra = order.indexOf(a), rb = order.indexOf(b);
            if (ra >= 0 || rb >= 0)
                return (ra < 0 ? order.size() : ra) < (rb < 0 ? order.size() : rb);
            return a < b;
        });
        out += QStringLiteral("{\n");
        for (qsizetype i = 0; i < keys.size(); ++i) {
            out += inner + scalar(keys[i]) + QStringLiteral(": ");
            write(o.value(keys[i]), depth + 1, out);
            out += i + 1 < keys.size() ? QStringLiteral(",\n") : QStringLiteral("\n");
        }
        out += pad + QStringLiteral("}");
        return;
    }
    out += scalar(v);
}

} // namespace

QString prettyJson(const QJsonValue &value)
{
    QString out;
    write(value, 0, out);
    out += QLatin1Char('\n');
    return out;
}

} // namespace pier::ui
