#pragma once

#include <QApplication>
#include <QColor>
#include <QPalette>
#include <QWidget>

// The only colours Pier picks itself: error/ok accents and diff backgrounds, chosen to read on
// both light and dark palettes. Everything else comes from the system palette.
namespace pier::ui {

inline bool isDarkPalette(const QPalette &p)
{
    return p.color(QPalette::Window).lightness() < 128;
}

inline QColor errorColor(const QPalette &p)
{
    return isDarkPalette(p) ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28);
}

inline QColor okColor(const QPalette &p)
{
    return isDarkPalette(p) ? QColor(0x56, 0xd3, 0x64) : QColor(0x1a, 0x7f, 0x37);
}

// Translucent, so the palette's base colour shows through in light and dark themes alike.
inline QColor errorBackground()
{
    return QColor(0xf8, 0x51, 0x49, 56);
}
inline QColor addedBackground()
{
    return QColor(0x2e, 0xa0, 0x43, 64);
}
inline QColor removedBackground()
{
    return QColor(0xf8, 0x51, 0x49, 64);
}

// Text in an accent (state is always in the words too). Only WindowText is set, so the rest
// of the palette keeps following the system; reapplyAccents() after a palette change.
enum class Accent { None, Ok, Error };

inline void applyAccent(QWidget *w)
{
    const auto accent = Accent(w->property("pierAccent").toInt());
    // The window's palette: palette changes reach it before they reach nested widgets.
    const QPalette base = w->window() != w ? w->window()->palette() : QApplication::palette();
    QPalette p;
    if (accent != Accent::None)
        p.setColor(QPalette::WindowText, accent == Accent::Ok ? okColor(base) : errorColor(base));
    w->setPalette(p);
}

inline void setAccent(QWidget *w, Accent accent)
{
    w->setProperty("pierAccent", int(accent));
    applyAccent(w);
}

inline void reapplyAccents(QWidget *root)
{
    const auto widgets = root->findChildren<QWidget *>();
    for (QWidget *w : widgets) {
        if (w->property("pierAccent").isValid())
            applyAccent(w);
    }
}

} // namespace pier::ui
