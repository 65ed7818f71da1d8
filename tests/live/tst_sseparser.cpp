// The text/event-stream parser and Marathon's events: every event type Marathon documents, in
// every line-ending style, split at every byte, with garbage in between.
#include "marathon/eventstream.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>

using namespace pier::marathon;

namespace {

struct Fixture {
    QString type;
    QJsonObject json;
};

QList<Fixture> fixtures()
{
    QList<Fixture> out;
    const QDir dir(QStringLiteral(PIER_TEST_DATA "/live/events"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString &f : files) {
        QFile file(dir.filePath(f));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        out.append({f.chopped(5), QJsonDocument::fromJson(file.readAll()).object()});
    }
    return out;
}

// The data of an event over several `data:` lines (a newline between JSON tokens is JSON
// whitespace, so the joined data still parses).
QByteArray frame(const Fixture &f, int index, const QByteArray &eol, bool garbage)
{
    QByteArray out;
    if (index % 4 == 0)
        out += ": keep-alive" + eol;
    if (garbage) {
        out += "this line is not a field" + eol;
        out += "retry: soon" + eol;
        out += "\x01\x02 binary \xff" + eol;
    }
    out += "id: " + QByteArray::number(index) + eol;
    if (index % 3 != 1)
        out += "event: " + f.type.toUtf8() + eol;
    const QByteArray compact = QJsonDocument(f.json).toJson(QJsonDocument::Compact);
    QByteArray data = compact;
    if (index % 2 == 0)
        data.replace(",\"", ",\n\"");
    const QList<QByteArray> lines = data.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i)
        out += (i % 2 ? "data:" : "data: ") + lines[i] + eol;
    out += eol;
    if (garbage) {
        // An event whose data is not JSON: the parser yields it, the Marathon layer skips it.
        out +=
            "event: status_update_event" + eol + "data: <html><body>Proxy error</body>" + eol + eol;
        // Fields without data dispatch nothing.
        out += "event: lonely" + eol + eol;
    }
    return out;
}

QByteArray streamOf(const QList<Fixture> &list, const QByteArray &eol, bool garbage)
{
    QByteArray s;
    for (qsizetype i = 0; i < list.size(); ++i)
        s += frame(list[i], int(i), eol, garbage);
    return s;
}

QList<SseEvent> parseChunks(const QByteArray &stream, const QList<qsizetype> &cuts)
{
    SseParser p;
    QList<SseEvent> out;
    qsizetype from = 0;
    for (qsizetype cut : cuts) {
        out += p.feed(stream.mid(from, cut - from));
        from = cut;
    }
    out += p.feed(stream.mid(from));
    return out;
}

bool same(const QList<SseEvent> &a, const QList<SseEvent> &b, QString *why)
{
    if (a.size() != b.size()) {
        *why = QStringLiteral("%1 events instead of %2").arg(a.size()).arg(b.size());
        return false;
    }
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].id != b[i].id) {
            *why = QStringLiteral("event %1 differs: %2 vs %3").arg(i).arg(a[i].type, b[i].type);
            return false;
        }
    }
    return true;
}

} // namespace

class TestSseParser : public QObject {
    Q_OBJECT

private slots:
    void fixturesCoverEveryEventType()
    {
        // Every event type of Marathon's event bus documentation has a fixture.
        const QList<Fixture> list = fixtures();
        QCOMPARE(list.size(), 27);
        for (const Fixture &f : list)
            QCOMPARE(f.json.value(QLatin1String("eventType")).toString(), f.type);
    }

    void everyEventType_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QJsonObject>("json");
        for (const Fixture &f : fixtures())
            QTest::newRow(qPrintable(f.type)) << f.type << f.json;
    }

    void everyEventType()
    {
        QFETCH(QString, type);
        QFETCH(QJsonObject, json);
        SseParser p;
        const QList<SseEvent> sse =
            p.feed("event: " + type.toUtf8() +
                   "\ndata: " + QJsonDocument(json).toJson(QJsonDocument::Compact) + "\n\n");
        QCOMPARE(sse.size(), 1);
        QCOMPARE(sse[0].type, type);
        MarathonEvent e;
        QString reason;
        QVERIFY2(MarathonEvent::fromSse(sse[0], &e, &reason), qPrintable(reason));
        QCOMPARE(e.eventType, type);
        QCOMPARE(e.json, json);
        QVERIFY(e.timestamp.isValid());
        // The app an event is about, whichever key names it.
        const bool aboutApp = json.contains(QLatin1String("appId")) ||
                              json.contains(QLatin1String("runSpecId")) ||
                              json.contains(QLatin1String("appDefinition"));
        QCOMPARE(e.appId(), aboutApp ? QStringLiteral("/shop/web") : QString());
    }

    void splitAnywhere_data()
    {
        QTest::addColumn<QByteArray>("eol");
        QTest::addColumn<bool>("garbage");
        for (const auto &[name, eol] :
             {std::pair{"LF", QByteArray("\n")}, std::pair{"CRLF", QByteArray("\r\n")},
              std::pair{"CR", QByteArray("\r")}}) {
            QTest::addRow("%s", name) << eol << false;
            QTest::addRow("%s with garbage", name) << eol << true;
        }
    }

    void splitAnywhere()
    {
        QFETCH(QByteArray, eol);
        QFETCH(bool, garbage);
        const QList<Fixture> list = fixtures();
        const QByteArray stream = streamOf(list, eol, garbage);

        // All at once: each fixture comes back whole, in order, with its id.
        SseParser whole;
        const QList<SseEvent> reference = whole.feed(stream);
        QList<MarathonEvent> events;
        int rejected = 0;
        for (const SseEvent &s : reference) {
            MarathonEvent e;
            if (MarathonEvent::fromSse(s, &e, nullptr))
                events << e;
            else
                ++rejected;
        }
        QCOMPARE(events.size(), list.size());
        for (qsizetype i = 0; i < list.size(); ++i) {
            QCOMPARE(events[i].eventType, list[i].type);
            QCOMPARE(events[i].json, list[i].json);
        }
        QCOMPARE(rejected, garbage ? int(list.size()) : 0);
        QCOMPARE(whole.skippedLines(), garbage ? 3 * int(list.size()) : 0);
        QCOMPARE(reference.first().id, QStringLiteral("0"));

        // Two chunks, cut at every byte (also between CR and LF).
        QString why;
        for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
            if (!same(parseChunks(stream, {cut}), reference, &why))
                QFAIL(qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(why)));
        }
        // One byte at a time.
        SseParser bytewise;
        QList<SseEvent> one;
        for (char c : stream)
            one += bytewise.feed(QByteArray(1, c));
        QVERIFY2(same(one, reference, &why), qPrintable(why));
        // Random chunkings, as a network delivers them.
        QRandomGenerator rng(42);
        for (int run = 0; run < 200; ++run) {
            QList<qsizetype> cuts;
            qsizetype at = 0;
            while (true) {
                at += 1 + rng.bounded(700);
                if (at >= stream.size())
                    break;
                cuts << at;
            }
            if (!same(parseChunks(stream, cuts), reference, &why))
                QFAIL(qPrintable(QStringLiteral("run %1: %2").arg(run).arg(why)));
        }
    }

    void fields_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QStringList>("types");
        QTest::addColumn<QList<QByteArray>>("data");
        QTest::addRow("default type is message")
            << QByteArray("data: x\n\n") << QStringList{QStringLiteral("message")}
            << QList<QByteArray>{"x"};
        QTest::addRow("no space after colon")
            << QByteArray("event:a\ndata:x\n\n") << QStringList{QStringLiteral("a")}
            << QList<QByteArray>{"x"};
        QTest::addRow("only one space is removed")
            << QByteArray("data:  x\n\n") << QStringList{QStringLiteral("message")}
            << QList<QByteArray>{" x"};
        QTest::addRow("multi-line data")
            << QByteArray("data: a\ndata\ndata: b\n\n") << QStringList{QStringLiteral("message")}
            << QList<QByteArray>{"a\n\nb"};
        QTest::addRow("no data, no event")
            << QByteArray("event: a\nid: 3\n\n") << QStringList{} << QList<QByteArray>{};
        QTest::addRow("unfinished event is not dispatched")
            << QByteArray("data: a\n") << QStringList{} << QList<QByteArray>{};
        QTest::addRow("type does not leak to the next event")
            << QByteArray("event: a\ndata: 1\n\ndata: 2\n\n")
            << QStringList{QStringLiteral("a"), QStringLiteral("message")}
            << QList<QByteArray>{"1", "2"};
        QTest::addRow("comments only")
            << QByteArray(":\n: hello\n\n") << QStringList{} << QList<QByteArray>{};
        QTest::addRow("mixed line ends")
            << QByteArray("data: a\r\n\rdata: b\n\r\n")
            << QStringList{QStringLiteral("message"), QStringLiteral("message")}
            << QList<QByteArray>{"a", "b"};
    }

    void fields()
    {
        QFETCH(QByteArray, input);
        QFETCH(QStringList, types);
        QFETCH(QList<QByteArray>, data);
        SseParser p;
        const QList<SseEvent> events = p.feed(input);
        QStringList gotTypes;
        QList<QByteArray> gotData;
        for (const SseEvent &e : events) {
            gotTypes << e.type;
            gotData << e.data;
        }
        QCOMPARE(gotTypes, types);
        QCOMPARE(gotData, data);
    }

    void retryAndIdAreKept()
    {
        SseParser p;
        p.feed("retry: 2500\nid: 7\ndata: a\n\n");
        QCOMPARE(p.retryMs(), 2500);
        const QList<SseEvent> e = p.feed("data: b\n\n");
        QCOMPARE(e.size(), 1);
        QCOMPARE(e[0].id, QStringLiteral("7")); // the last id sticks
        p.feed("retry: 1s\n");
        QCOMPARE(p.retryMs(), 2500);
        QCOMPARE(p.skippedLines(), 1);
    }

    void anOverlongLineIsDroppedNotKept()
    {
        SseParser p;
        const QByteArray junk(SseParser::kMaxLine / 4, 'x');
        for (int i = 0; i < 5; ++i)
            QVERIFY(p.feed(junk).isEmpty());
        QCOMPARE(p.skippedLines(), 1);
        // The stream recovers at the next line end.
        const QList<SseEvent> e = p.feed("\n\ndata: ok\n\n");
        QCOMPARE(e.size(), 1);
        QCOMPARE(e[0].data, QByteArray("ok"));
    }

    void notJsonIsRejectedWithAReason_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addRow("html") << QByteArray("<html>");
        QTest::addRow("array") << QByteArray("[1,2]");
        QTest::addRow("truncated") << QByteArray("{\"eventType\": \"status_upd");
        QTest::addRow("no type") << QByteArray("{\"appId\": \"/a\"}");
    }

    void notJsonIsRejectedWithAReason()
    {
        QFETCH(QByteArray, data);
        SseEvent s;
        s.data = data;
        MarathonEvent e;
        QString reason;
        QVERIFY(!MarathonEvent::fromSse(s, &e, &reason));
        QVERIFY(!reason.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSseParser)
#include "tst_sseparser.moc"
