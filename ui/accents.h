#pragma once

#include <QColor>
#include <QPalette>

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

} // namespace pier::ui
