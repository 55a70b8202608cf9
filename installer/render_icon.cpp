// imago_render_icon: renders the SVG app icon to a square PNG for the hicolor theme, at build
// time, with Qt SVG (already a dependency), so no rsvg-convert or Inkscape is needed.
//   usage: imago_render_icon IN.svg SIZE OUT.png
#include <QCoreApplication>
#include <QImage>
#include <QPainter>
#include <QString>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv); // QSvgRenderer reads files through Qt's I/O
    const QStringList args = QCoreApplication::arguments();
    bool sizeOk = false;
    const int size = args.size() == 4 ? args[2].toInt(&sizeOk) : 0;
    if (!sizeOk || size < 1 || size > 4096) {
        std::fputs("usage: imago_render_icon IN.svg SIZE OUT.png\n", stderr);
        return 2;
    }
    QSvgRenderer svg(args[1]);
    if (!svg.isValid()) {
        std::fprintf(stderr, "imago_render_icon: %s is not a valid SVG file\n", qPrintable(args[1]));
        return 1;
    }
    QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    {
        QPainter painter(&image);
        painter.setRenderHints(QPainter::Antialiasing | QPainter::SmoothPixmapTransform);
        svg.render(&painter); // the icon's viewBox is square, so it fills the image
    }
    if (!image.save(args[3], "PNG")) {
        std::fprintf(stderr, "imago_render_icon: cannot write %s\n", qPrintable(args[3]));
        return 1;
    }
    return 0;
}
