#include "ui/livechart.h"

#include "ui/accents.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace pier::ui {

LiveChart::LiveChart(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setAccessibleName(tr("Running and healthy tasks over time"));
}

void LiveChart::addSample(const QDateTime &time, int running, int healthy, int instances)
{
    m_samples.append({time, running, healthy, instances});
    const QDateTime oldest = time.addSecs(-m_windowSeconds - 5);
    while (!m_samples.isEmpty() && m_samples.first().time < oldest)
        m_samples.removeFirst();
    update();
}

void LiveChart::clear()
{
    m_samples.clear();
    update();
}

void LiveChart::setTitle(const QString &title)
{
    m_title = title;
    update();
}

void LiveChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    const QFontMetrics fm(font());
    const int lineH = fm.height();
    QRect area = rect().adjusted(4, 4, -4, -4);

    // Legend: the numbers in words, so nothing depends on telling the colours apart.
    const Sample last = m_samples.isEmpty() ? Sample{{}, 0, 0, 0} : m_samples.last();
    const QColor runningColor = pal.color(QPalette::Highlight);
    const QColor healthyColor = okColor(pal);
    p.setPen(pal.color(QPalette::WindowText));
    const QString head = m_title.isEmpty()
                             ? tr("Tasks, last %1 min").arg(m_windowSeconds / 60)
                             : tr("%1, last %2 min").arg(m_title).arg(m_windowSeconds / 60);
    p.drawText(area.left(), area.top() + fm.ascent(), head);
    int x = area.left();
    const int legendY = area.top() + lineH + fm.ascent();
    auto legend = [&](const QColor &c, Qt::PenStyle style, const QString &text) {
        p.setPen(QPen(c, 2, style));
        p.drawLine(x, legendY - fm.ascent() / 2 + 1, x + 18, legendY - fm.ascent() / 2 + 1);
        x += 22;
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(x, legendY, text);
        x += fm.horizontalAdvance(text) + 14;
    };
    legend(runningColor, Qt::SolidLine, tr("running %1").arg(last.running));
    legend(healthyColor, Qt::DashLine, tr("healthy %1").arg(last.healthy));
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(x, legendY, tr("of %1").arg(last.instances));

    QRect plot = area.adjusted(fm.horizontalAdvance(QStringLiteral("0000")), 2 * lineH + 4, 0, -2);
    if (plot.height() < 10 || plot.width() < 20)
        return;
    int maxY = 1;
    for (const Sample &s : std::as_const(m_samples))
        maxY = std::max({maxY, s.running, s.healthy, s.instances});
    // Axes with the scale as text.
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(QRect(area.left(), plot.top() - lineH / 2, plot.left() - area.left() - 4, lineH),
               Qt::AlignRight | Qt::AlignVCenter, QString::number(maxY));
    p.drawText(QRect(area.left(), plot.bottom() - lineH / 2, plot.left() - area.left() - 4, lineH),
               Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("0"));
    if (m_samples.isEmpty())
        return;
    const QDateTime end = m_samples.last().time;
    // The time axis grows with the history up to the window, so a fresh chart is not a dot.
    const qint64 windowMs = std::clamp<qint64>(m_samples.first().time.msecsTo(end), 60000,
                                               qint64(m_windowSeconds) * 1000);
    auto pointOf = [&](const Sample &s, int value) {
        const qint64 age = s.time.msecsTo(end);
        const double fx = 1.0 - double(age) / double(windowMs);
        const double fy = double(value) / double(maxY);
        return QPointF(plot.left() + fx * plot.width(), plot.bottom() - fy * (plot.height() - 2));
    };
    auto drawSeries = [&](const QColor &c, Qt::PenStyle style, auto value) {
        QPainterPath path;
        bool first = true;
        for (const Sample &s : std::as_const(m_samples)) {
            if (s.time.msecsTo(end) > windowMs)
                continue;
            const QPointF pt = pointOf(s, value(s));
            if (first)
                path.moveTo(pt);
            else
                path.lineTo(pt);
            first = false;
        }
        p.setPen(QPen(c, 2, style));
        p.drawPath(path);
    };
    drawSeries(runningColor, Qt::SolidLine, [](const Sample &s) { return s.running; });
    drawSeries(healthyColor, Qt::DashLine, [](const Sample &s) { return s.healthy; });
}

} // namespace pier::ui
