#include "ui/messagebox.h"

#include <QPushButton>

namespace pier::ui {

namespace {
QList<MessageBox::Button> s_answers;
QString s_lastQuestion;
int s_questionCount = 0;

QMessageBox::StandardButton toStandard(MessageBox::Button b)
{
    switch (b) {
    case MessageBox::Save:
        return QMessageBox::Save;
    case MessageBox::Discard:
        return QMessageBox::Discard;
    case MessageBox::Cancel:
        return QMessageBox::Cancel;
    case MessageBox::Yes:
        return QMessageBox::Yes;
    case MessageBox::No:
        return QMessageBox::No;
    case MessageBox::Ok:
        return QMessageBox::Ok;
    case MessageBox::NoButton:
        break;
    }
    return QMessageBox::NoButton;
}

MessageBox::Button fromStandard(int b)
{
    switch (b) {
    case QMessageBox::Save:
        return MessageBox::Save;
    case QMessageBox::Discard:
        return MessageBox::Discard;
    case QMessageBox::Cancel:
        return MessageBox::Cancel;
    case QMessageBox::Yes:
        return MessageBox::Yes;
    case QMessageBox::No:
        return MessageBox::No;
    case QMessageBox::Ok:
        return MessageBox::Ok;
    default:
        return MessageBox::NoButton;
    }
}
} // namespace

MessageBox::Button MessageBox::noteQuestion(const QString &text)
{
    s_lastQuestion = text;
    ++s_questionCount;
    return takeNextAnswer();
}

MessageBox::Button MessageBox::ask(QWidget *parent, const Question &q)
{
    if (const Button preset = noteQuestion(q.text); preset != NoButton)
        return preset;

    QMessageBox box(q.icon, q.title, q.text, QMessageBox::NoButton, parent);
    box.setInformativeText(q.informativeText);
    for (Button b : q.buttons) {
        QAbstractButton *button = box.addButton(toStandard(b));
        if (q.buttonText.contains(b))
            button->setText(q.buttonText.value(b));
    }
    if (q.defaultButton != NoButton)
        box.setDefaultButton(toStandard(q.defaultButton));
    if (q.escapeButton != NoButton && q.buttons.contains(q.escapeButton))
        box.setEscapeButton(toStandard(q.escapeButton));
    box.exec();
    const Button answer = fromStandard(box.standardButton(box.clickedButton()));
    // Closing the box with the window manager counts as the escape answer.
    return answer == NoButton ? q.escapeButton : answer;
}

void MessageBox::setNextAnswer(Button answer)
{
    s_answers.append(answer);
}

void MessageBox::clearAnswers()
{
    s_answers.clear();
}

MessageBox::Button MessageBox::takeNextAnswer()
{
    return s_answers.isEmpty() ? NoButton : s_answers.takeFirst();
}

QString MessageBox::lastQuestion()
{
    return s_lastQuestion;
}

int MessageBox::questionCount()
{
    return s_questionCount;
}

} // namespace pier::ui
