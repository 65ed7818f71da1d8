// The line diff behind "what an update would change": exact unified output for typical edits.
#include "ui/jsondiff.h"
#include "ui/jsonformat.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <QTest>

using namespace pier::ui;

class TestJsonDiff : public QObject {
    Q_OBJECT
private slots:
    void unified_data();
    void unified();
    void shortestScript();
    void splitKeepsLastLine();
    void prettyJsonReadsLikeAHandWrittenDefinition();
};

void TestJsonDiff::unified_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QString>("expected");

    const QString header = QStringLiteral("--- before\n+++ after\n");
    QTest::newRow("same") << QStringLiteral("a\nb\n") << QStringLiteral("a\nb\n") << QString();
    QTest::newRow("same-but-final-newline")
        << QStringLiteral("a\nb") << QStringLiteral("a\nb\n") << QString();
    QTest::newRow("one-line-changed")
        << QStringLiteral("{\n  \"cpus\": 0.2,\n  \"mem\": 256\n}\n")
        << QStringLiteral("{\n  \"cpus\": 0.5,\n  \"mem\": 256\n}\n")
        << header + QStringLiteral("@@ -1,4 +1,4 @@\n {\n-  \"cpus\": 0.2,\n+  \"cpus\": 0.5,\n"
                                   "   \"mem\": 256\n }\n");
    QTest::newRow("added-at-end") << QStringLiteral("a\nb\n") << QStringLiteral("a\nb\nc\n")
                                  << header + QStringLiteral("@@ -1,2 +1,3 @@\n a\n b\n+c\n");
    QTest::newRow("removed-at-start") << QStringLiteral("a\nb\nc\n") << QStringLiteral("b\nc\n")
                                      << header + QStringLiteral("@@ -1,3 +1,2 @@\n-a\n b\n c\n");
    QTest::newRow("from-empty") << QString() << QStringLiteral("x\ny\n")
                                << header + QStringLiteral("@@ -0,0 +1,2 @@\n+x\n+y\n");
    QTest::newRow("to-empty") << QStringLiteral("x\n") << QString()
                              << header + QStringLiteral("@@ -1 +0,0 @@\n-x\n");
    // Changes more than 2*3 unchanged lines apart make two hunks.
    QTest::newRow("two-hunks") << QStringLiteral("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n")
                               << QStringLiteral("one\n2\n3\n4\n5\n6\n7\n8\n9\nten\n")
                               << header +
                                      QStringLiteral("@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n"
                                                     "@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+ten\n");
    // Six unchanged lines between changes still make one hunk.
    QTest::newRow("merged-hunk")
        << QStringLiteral("1\n2\n3\n4\n5\n6\n7\n8\n")
        << QStringLiteral("one\n2\n3\n4\n5\n6\n7\neight\n")
        << header + QStringLiteral("@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n"
                                   "+eight\n");
}

void TestJsonDiff::unified()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(QString, expected);
    QCOMPARE(unifiedDiff(before, after), expected);
}

void TestJsonDiff::shortestScript()
{
    // Moving a line is one removal and one addition, everything else kept.
    const QList<DiffLine> d = diffLines(
        {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")},
        {QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("a"), QStringLiteral("d")});
    const QList<DiffLine> expected{{DiffLine::Removed, QStringLiteral("a")},
                                   {DiffLine::Context, QStringLiteral("b")},
                                   {DiffLine::Context, QStringLiteral("c")},
                                   {DiffLine::Added, QStringLiteral("a")},
                                   {DiffLine::Context, QStringLiteral("d")}};
    QCOMPARE(d, expected);
}

void TestJsonDiff::splitKeepsLastLine()
{
    QCOMPARE(splitLines(QStringLiteral("a\r\nb")),
             QStringList({QStringLiteral("a"), QStringLiteral("b")}));
    QCOMPARE(splitLines(QStringLiteral("a\n\n")), QStringList({QStringLiteral("a"), QString()}));
    QVERIFY(splitLines(QString()).isEmpty());
}

void TestJsonDiff::prettyJsonReadsLikeAHandWrittenDefinition()
{
    // Keys in Marathon's documented order (not alphabetical), two spaces, [] and {} when
    // empty, short scalar arrays on one line; and it parses back to the same object.
    const QByteArray input = R"({"mem": 256.0, "instances": 1, "cpus": 0.2, "env": {},
        "constraints": [["hostname", "UNIQUE"]], "uris": [], "backoffFactor": 1.15,
        "container": {"docker": {"network": "BRIDGE", "image": "library/nginx:1.7.9",
        "portMappings": [{"servicePort": 80, "containerPort": 80}]}, "type": "DOCKER"},
        "id": "nginx"})";
    const QJsonObject object = QJsonDocument::fromJson(input).object();
    const QString expected = QStringLiteral(R"({
  "id": "nginx",
  "container": {
    "type": "DOCKER",
    "docker": {
      "image": "library/nginx:1.7.9",
      "network": "BRIDGE",
      "portMappings": [
        {
          "containerPort": 80,
          "servicePort": 80
        }
      ]
    }
  },
  "cpus": 0.2,
  "mem": 256,
  "instances": 1,
  "env": {},
  "constraints": [
    ["hostname", "UNIQUE"]
  ],
  "backoffFactor": 1.15,
  "uris": []
}
)");
    QCOMPARE(prettyJson(object), expected);
    QCOMPARE(QJsonDocument::fromJson(expected.toUtf8()).object(), object);
}

QTEST_GUILESS_MAIN(TestJsonDiff)
#include "tst_jsondiff.moc"
