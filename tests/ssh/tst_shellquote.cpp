#include "ssh/shellquote.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace pier::ssh;

// Quoting checked against a real /bin/sh: whatever the word holds, the shell sees exactly it.
class TestShellQuote : public QObject {
    Q_OBJECT
private slots:
    void wordsSurviveTheShell_data()
    {
        QTest::addColumn<QString>("word");
        QTest::newRow("command substitution") << QStringLiteral("$(touch MARK)");
        QTest::newRow("backticks") << QStringLiteral("`touch MARK`");
        QTest::newRow("semicolon") << QStringLiteral("a; touch MARK");
        QTest::newRow("single quote") << QStringLiteral("it's");
        QTest::newRow("quote breakout") << QStringLiteral("'; touch MARK; '");
        QTest::newRow("double quotes") << QStringLiteral("\"$(touch MARK)\"");
        QTest::newRow("newline") << QStringLiteral("line1\ntouch MARK\nline3");
        QTest::newRow("backslashes") << QStringLiteral("a\\'b\\\\");
        QTest::newRow("variables and globs") << QStringLiteral("$HOME * ? [a] ~ {a,b} & | > <");
        QTest::newRow("empty") << QString();
        QTest::newRow("marathon app id") << QStringLiteral("/prod/web$(id)|nc&&x");
        QTest::newRow("unicode") << QStringLiteral("nœud-ü ✓");
    }

    void wordsSurviveTheShell()
    {
        QFETCH(QString, word);
        QTemporaryDir dir;
        const QString mark = dir.filePath(QStringLiteral("MARK"));
        const QString w = QString(word).replace(QStringLiteral("MARK"), mark);
        QProcess sh;
        sh.setWorkingDirectory(dir.path());
        sh.start(QStringLiteral("/bin/sh"),
                 {QStringLiteral("-c"), QStringLiteral("printf '%s' ") + shellQuote(w)});
        QVERIFY(sh.waitForFinished(10000));
        QCOMPARE(sh.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), w);
        QVERIFY2(!QFile::exists(mark), "the word ran a command");
    }

    void joinKeepsArgumentsApart()
    {
        const QStringList args{QStringLiteral("printf"),
                               QStringLiteral("[%s]"),
                               QStringLiteral("a b"),
                               QStringLiteral("it's"),
                               QString(),
                               QStringLiteral("x\ny")};
        QProcess sh;
        sh.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), shellJoin(args)});
        QVERIFY(sh.waitForFinished(10000));
        QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()),
                 QStringLiteral("[a b][it's][][x\ny]"));
    }

    void sudoOnlyWhenNotRoot()
    {
        const QString cmd = QStringLiteral("iptables -S INPUT; echo 'done'");
        QCOMPARE(sudoWrap(cmd, QStringLiteral("root")), cmd);
        const QString wrapped = sudoWrap(cmd, QStringLiteral("jclouds"));
        QVERIFY(wrapped.startsWith(QStringLiteral("sudo -n sh -c '")));
        // The wrapped command, with "sudo -n" taken off, is the original for the shell.
        QProcess sh;
        sh.start(QStringLiteral("/bin/sh"),
                 {QStringLiteral("-c"), QStringLiteral("set -- ") +
                                            wrapped.mid(QStringLiteral("sudo -n ").size()) +
                                            QStringLiteral("; printf '%s' \"$3\"")});
        QVERIFY(sh.waitForFinished(10000));
        QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), cmd);
    }

    void sudoPasswordPromptIsExplained()
    {
        const QString m = sudoFailureMessage("sudo: a password is required\n",
                                             QStringLiteral("jclouds"), QStringLiteral("node-1"));
        QVERIFY2(m.contains(QStringLiteral("password")) && m.contains(QStringLiteral("NOPASSWD")) &&
                     m.contains(QStringLiteral("jclouds")) && m.contains(QStringLiteral("node-1")),
                 qPrintable(m));
        QVERIFY(sudoFailureMessage("iptables: command not found\n", QStringLiteral("jclouds"),
                                   QStringLiteral("node-1"))
                    .isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestShellQuote)
#include "tst_shellquote.moc"
