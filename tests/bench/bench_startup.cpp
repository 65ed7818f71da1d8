// Time from process start to the main window shown, and resident memory once idle.
// Targets on a 2-core machine: under 0.5 s and under 100 MB. Prints the median of N runs;
// fails only when Pier does not start at all. Uses the platform of QT_QPA_PLATFORM
// (offscreen in CI; run it under Xvfb with QT_QPA_PLATFORM=xcb for a real display).
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>

static double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    const qsizetype n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? QByteArray(argv[1]).toInt() : 7;
    QTemporaryDir config; // no saved settings or profiles: a first start
    QList<double> shownMs, rssMb;
    for (int i = 0; i < runs; ++i) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PIER_STARTUP_REPORT"), QStringLiteral("1"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
        env.remove(QStringLiteral("PIER_MARATHON_URL"));
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::SeparateChannels);
        QElapsedTimer clock;
        clock.start();
        p.start(QStringLiteral(PIER_BINARY), {});
        QByteArray err;
        double shown = -1;
        while (p.state() != QProcess::NotRunning || p.bytesAvailable() || p.canReadLine()) {
            p.waitForReadyRead(50);
            p.setReadChannel(QProcess::StandardError);
            err += p.readAllStandardError();
            if (shown < 0 && err.contains("pier-startup: window shown"))
                shown = clock.nsecsElapsed() / 1e6;
            if (err.contains("idle rss_kb=") || clock.elapsed() > 20000)
                break;
        }
        p.waitForFinished(5000);
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("rss_kb=(\\d+)")).match(QString::fromLatin1(err));
        if (shown < 0 || !m.hasMatch()) {
            std::fprintf(stderr, "bench_startup: Pier did not report its start:\n%s\n",
                         err.constData());
            return 1;
        }
        shownMs << shown;
        rssMb << m.captured(1).toDouble() / 1024.0;
    }
    std::printf("bench_startup: platform=%s runs=%d\n", qgetenv("QT_QPA_PLATFORM").constData(),
                runs);
    std::printf("bench_startup: start to window shown: median %.0f ms (min %.0f, max %.0f); target "
                "< 500 ms\n",
                median(shownMs), *std::min_element(shownMs.begin(), shownMs.end()),
                *std::max_element(shownMs.begin(), shownMs.end()));
    std::printf("bench_startup: resident memory once idle: median %.1f MB; target < 100 MB\n",
                median(rssMb));
    return 0;
}
