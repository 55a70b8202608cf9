#include "safetensors_writer.h"

#include "checkpoint.h"
#include "checkpoint_error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace imago::flava {

namespace {

bool isRowMajor(const TensorView &t)
{
    std::int64_t expected = 1;
    for (std::size_t d = t.shape.size(); d-- > 0;) {
        if (t.shape[d] != 1 && t.strides[d] != expected)
            return false;
        expected *= t.shape[d];
    }
    return true;
}

// Hands the tensor's elements to sink(const uint8_t *, size_t) in row-major order, in as few
// runs as the layout allows (one for a contiguous tensor). Views come from a Checkpoint, which
// has already checked that every element lies inside the storage.
template<class Sink> void forEachRowMajorRun(const TensorView &t, Sink &&sink)
{
    const std::size_t item = dtypeSize(t.dtype);
    const std::int64_t n = t.numel();
    if (n == 0)
        return;
    if (isRowMajor(t)) {
        sink(t.data + t.storageOffset * item, static_cast<std::size_t>(n) * item);
        return;
    }
    const std::size_t rank = t.shape.size(); // >= 1: a scalar is row-major
    const std::int64_t inner = t.shape[rank - 1];
    const std::int64_t innerStride = t.strides[rank - 1];
    std::vector<std::int64_t> index(rank - 1, 0);
    std::vector<std::uint8_t> gathered(static_cast<std::size_t>(inner) * item);
    for (std::int64_t run = 0, runs = n / inner; run < runs; ++run) {
        std::int64_t offset = t.storageOffset;
        for (std::size_t d = 0; d + 1 < rank; ++d)
            offset += index[d] * t.strides[d];
        if (innerStride == 1) {
            sink(t.data + offset * item, gathered.size());
        } else {
            for (std::int64_t i = 0; i < inner; ++i)
                std::memcpy(gathered.data() + i * item, t.data + (offset + i * innerStride) * item,
                            item);
            sink(gathered.data(), gathered.size());
        }
        for (std::size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < t.shape[d])
                break;
            index[d] = 0;
        }
    }
}

std::vector<std::uint8_t> rowMajorBytes(const TensorView &t)
{
    std::vector<std::uint8_t> out;
    out.reserve(static_cast<std::size_t>(t.numel()) * dtypeSize(t.dtype));
    forEachRowMajorRun(
        t, [&](const std::uint8_t *p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
}

// A buffered POSIX file writer: fsync needs the descriptor, which iostreams do not expose.
class FileSink
{
public:
    explicit FileSink(const std::filesystem::path &file) : m_file(file)
    {
        m_fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m_fd < 0)
            fail("cannot create");
        m_buffer.reserve(kBuffer);
    }
    ~FileSink()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileSink(const FileSink &) = delete;
    FileSink &operator=(const FileSink &) = delete;

    void write(const std::uint8_t *p, std::size_t n)
    {
        if (m_buffer.size() + n > kBuffer)
            flush();
        if (n >= kBuffer)
            writeAll(p, n);
        else
            m_buffer.insert(m_buffer.end(), p, p + n);
    }
    void finish()
    {
        flush();
        if (::fsync(m_fd) != 0)
            fail("cannot sync to disk");
        const int fd = m_fd;
        m_fd = -1;
        if (::close(fd) != 0)
            fail("cannot close");
    }

private:
    static constexpr std::size_t kBuffer = 4 << 20;

    [[noreturn]] void fail(const std::string &what) const
    {
        throw CheckpointError(m_file, what + ": " + std::strerror(errno));
    }
    void flush()
    {
        writeAll(m_buffer.data(), m_buffer.size());
        m_buffer.clear();
    }
    void writeAll(const std::uint8_t *p, std::size_t n)
    {
        while (n > 0) {
            const ssize_t w = ::write(m_fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                fail("write failed (disk full?)");
            p += w;
            n -= static_cast<std::size_t>(w);
        }
    }

    std::filesystem::path m_file;
    int m_fd = -1;
    std::vector<std::uint8_t> m_buffer;
};

} // namespace

void writeSafetensors(const std::filesystem::path &file, std::span<const TensorView> tensors,
                      const std::map<std::string, std::string> &metadata)
{
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        auto &meta = header["__metadata__"] = nlohmann::ordered_json::object();
        for (const auto &[key, value] : metadata)
            meta[key] = value;
    }
    std::uint64_t offset = 0;
    for (const auto &t : tensors) {
        if (t.name == "__metadata__" || header.contains(t.name))
            throw CheckpointError(file, "tensor name '" + t.name + "' is used twice");
        const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * dtypeSize(t.dtype);
        header[t.name] = {{"dtype", std::string(dtypeName(t.dtype))},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');

    FileSink out(file);
    std::uint8_t length[8];
    for (int i = 0; i < 8; ++i)
        length[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(json.size()) >> (8 * i));
    out.write(length, sizeof length);
    out.write(reinterpret_cast<const std::uint8_t *>(json.data()), json.size());
    for (const auto &t : tensors)
        forEachRowMajorRun(t, [&](const std::uint8_t *p, std::size_t n) { out.write(p, n); });
    out.finish();
}

std::string compareCheckpoints(const Checkpoint &a, const Checkpoint &b)
{
    if (a.tensors().size() != b.tensors().size())
        return std::to_string(a.tensors().size()) + " tensors against " +
               std::to_string(b.tensors().size());
    for (const auto &ta : a.tensors()) {
        const TensorView *tb = b.find(ta.name);
        if (!tb)
            return "tensor '" + ta.name + "' is missing";
        if (ta.dtype != tb->dtype)
            return "tensor '" + ta.name + "': dtype " + std::string(dtypeName(ta.dtype)) +
                   " against " + std::string(dtypeName(tb->dtype));
        if (ta.shape != tb->shape)
            return "tensor '" + ta.name + "': shapes differ";
        if (rowMajorBytes(ta) != rowMajorBytes(*tb))
            return "tensor '" + ta.name + "': element bytes differ";
    }
    return {};
}

std::size_t convertToSafetensors(const std::filesystem::path &source,
                                 const std::filesystem::path &target)
{
    const Checkpoint input(source);
    std::filesystem::path part = target;
    part += ".part";
    std::size_t count = 0;
    try {
        writeSafetensors(part, input.tensors());
        const Checkpoint written(part);
        const std::string difference = compareCheckpoints(input, written);
        if (!difference.empty())
            throw CheckpointError(part, "conversion is not bit-exact: " + difference);
        count = written.tensors().size();
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(part, ignored);
        throw;
    }
    std::error_code ec;
    std::filesystem::rename(part, target, ec);
    if (ec)
        throw CheckpointError(target,
                              "cannot move the converted weights into place: " + ec.message());
    return count;
}

} // namespace imago::flava
