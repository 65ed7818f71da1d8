#include "ui/issuefield.h"

#include "ui/accents.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QStyle>
#include <QVBoxLayout>

namespace pier::ui {

namespace {
constexpr int kFrame = 2; // the error frame's width, kept free around the field
} // namespace

IssueField::IssueField(QWidget *content, QWidget *field, QWidget *parent)
    : QWidget(parent), m_content(content), m_field(field), m_help(field->toolTip())
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(kFrame + 1, kFrame + 1, kFrame + 1, kFrame + 1);
    layout->setSpacing(3);
    layout->addWidget(content);

    m_messageRow = new QWidget(this);
    auto *row = new QHBoxLayout(m_messageRow);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(6);
    m_icon = new QLabel(m_messageRow);
    m_icon->setAlignment(Qt::AlignTop);
    m_text = new QLabel(m_messageRow);
    m_text->setObjectName(field->objectName() + QStringLiteral("Issue"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::PlainText);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    row->addWidget(m_icon, 0, Qt::AlignTop);
    row->addWidget(m_text, 1);
    layout->addWidget(m_messageRow);
    m_messageRow->setVisible(false);
    updateIcon();
}

void IssueField::setMessages(const QStringList &messages)
{
    if (messages == m_messages)
        return;
    m_messages = messages;
    const QString joined = messages.join(QLatin1Char('\n'));
    m_text->setText(joined);
    m_messageRow->setVisible(!messages.isEmpty());
    m_field->setProperty("pierIssue", joined);
    QString tip = joined;
    if (!m_help.isEmpty())
        tip = tip.isEmpty() ? m_help : tip + QStringLiteral("\n\n") + m_help;
    m_field->setToolTip(tip);
    m_field->setAccessibleDescription(joined);
    update();
}

void IssueField::paintEvent(QPaintEvent *event)
{
    QWidget::paintEvent(event);
    if (m_messages.isEmpty())
        return;
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    QPen pen(errorColor(palette()), kFrame);
    painter.setPen(pen);
    const QRect r = m_content->geometry().adjusted(-kFrame, -kFrame, kFrame, kFrame);
    painter.drawRoundedRect(
        QRectF(r).adjusted(0.5 * kFrame, 0.5 * kFrame, -0.5 * kFrame, -0.5 * kFrame), 3, 3);
}

void IssueField::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        updateIcon();
        update();
    }
    QWidget::changeEvent(event);
}

void IssueField::updateIcon()
{
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setPixmap(
        style()->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this).pixmap(size, size));
    // The message text uses the error accent; the icon and the words carry it without colour.
    setAccent(m_text, Accent::Error);
}

} // namespace pier::ui
