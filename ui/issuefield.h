#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;

namespace pier::ui {

// Wraps one form field so a problem shows on it: a frame in the error accent around the field,
// a warning icon and the message in words under it, and the message as the field's tooltip.
// The field also gets the dynamic property "pierIssue" (the messages, one per line), which the
// tests and accessibility read.
class IssueField : public QWidget {
    Q_OBJECT
public:
    // `content` is what is framed (a field, or a table with its buttons); `field` is the widget
    // that takes the focus, the tooltip and the property.
    IssueField(QWidget *content, QWidget *field, QWidget *parent = nullptr);

    QWidget *field() const { return m_field; }
    QStringList messages() const { return m_messages; }
    void setMessages(const QStringList &messages);

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void updateIcon();

    QWidget *m_content;
    QWidget *m_field;
    QWidget *m_messageRow;
    QLabel *m_icon;
    QLabel *m_text;
    QString m_help; // the field's own tooltip, kept under the messages
    QStringList m_messages;
};

} // namespace pier::ui
