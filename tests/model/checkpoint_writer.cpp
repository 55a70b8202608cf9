#include "checkpoint_writer.h"

#include <QFile>

namespace imago::test {

namespace {
void le(QByteArray &out, quint64 v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out.append(char((v >> (8 * i)) & 0xff));
}
} // namespace

QByteArray safetensorsBytes(const QByteArray &headerJson, const QByteArray &data,
                            quint64 declaredHeaderLength)
{
    QByteArray out;
    le(out, declaredHeaderLength == ~0ull ? quint64(headerJson.size()) : declaredHeaderLength, 8);
    out += headerJson;
    out += data;
    return out;
}

QByteArray storedZip(const std::vector<std::pair<std::string, QByteArray>> &entries)
{
    QByteArray out, central;
    for (const auto &[name, data] : entries) {
        const quint64 offset = out.size();
        le(out, 0x04034b50, 4);
        le(out, 20, 2); // version
        le(out, 0, 2);  // flags
        le(out, 0, 2);  // method: stored
        le(out, 0, 4);  // time, date
        le(out, 0, 4);  // crc (not checked by readers of stored torch archives)
        le(out, data.size(), 4);
        le(out, data.size(), 4);
        le(out, name.size(), 2);
        le(out, 0, 2);
        out += QByteArray::fromStdString(name);
        out += data;

        le(central, 0x02014b50, 4);
        le(central, 20, 2);
        le(central, 20, 2);
        le(central, 0, 2);
        le(central, 0, 2);
        le(central, 0, 4);
        le(central, 0, 4);
        le(central, data.size(), 4);
        le(central, data.size(), 4);
        le(central, name.size(), 2);
        le(central, 0, 2); // extra
        le(central, 0, 2); // comment
        le(central, 0, 2); // disk
        le(central, 0, 2); // internal attrs
        le(central, 0, 4); // external attrs
        le(central, offset, 4);
        central += QByteArray::fromStdString(name);
    }
    const quint64 dirOffset = out.size();
    out += central;
    le(out, 0x06054b50, 4);
    le(out, 0, 4);
    le(out, entries.size(), 2);
    le(out, entries.size(), 2);
    le(out, central.size(), 4);
    le(out, dirOffset, 4);
    le(out, 0, 2);
    return out;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace imago::test
