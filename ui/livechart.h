#pragma once

#include <QDateTime>
#include <QList>
#include <QWidget>

namespace pier::ui {

// A small chart of running and healthy tasks over the last minutes, drawn with QPainter.
// Lines differ in colour and in pattern (solid / dashed), and the legend says the numbers.
class LiveChart : public QWidget {
    Q_OBJECT
public:
    explicit LiveChart(QWidget *parent = nullptr);

    void addSample(const QDateTime &time, int running, int healthy, int instances);
    void clear();
    void setTitle(const QString &title);
    void setWindowSeconds(int seconds) { m_windowSeconds = seconds; }
    int sampleCount() const { return int(m_samples.size()); }

    QSize sizeHint() const override { return {360, 130}; }
    QSize minimumSizeHint() const override { return {200, 90}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Sample {
        QDateTime time;
        int running;
        int healthy;
        int instances;
    };
    QList<Sample> m_samples;
    QString m_title;
    int m_windowSeconds = 300;
};

} // namespace pier::ui
