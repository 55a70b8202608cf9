// Writes small synthetic photos (coloured shapes on a background, JPEG or PNG) for indexer
// tests, deterministic for a given seed.
#pragma once

#include <QColor>
#include <QImage>
#include <QPainter>
#include <QRandomGenerator>
#include <QString>

namespace imago::test {

inline bool writePhoto(const QString &path, quint32 seed, int width = 320, int height = 240)
{
    QRandomGenerator rng(seed);
    QImage img(width, height, QImage::Format_RGB32);
    img.fill(QColor::fromHsv(int(rng.bounded(360)), 30, 230));
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    for (int i = 0; i < 3; ++i) {
        p.setBrush(QColor::fromHsv(int(rng.bounded(360)), 200, 200));
        const int x = int(rng.bounded(width / 2)), y = int(rng.bounded(height / 2));
        if (i % 2)
            p.drawEllipse(x, y, width / 3, height / 3);
        else
            p.drawRect(x, y, width / 3, height / 4);
    }
    p.end();
    return img.save(path, path.endsWith(QLatin1String(".png")) ? "PNG" : "JPEG", 90);
}

} // namespace imago::test
