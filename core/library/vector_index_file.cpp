// The index file: save() writes format version 1 atomically; load() verifies a file of any
// version it has a reader for (see vector_index.h, "File format").
#include "vector_index_impl.h"

#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

namespace imago {

namespace {

constexpr std::array<char, 8> kMagic = {'I', 'M', 'A', 'G', 'O', 'V', 'I', 'X'};
constexpr std::uint32_t kFormatVersion = 1;   // the version save() writes
constexpr std::size_t kPrefixBytes = 12;      // magic and version: every version starts so
constexpr std::size_t kFixedHeaderBytes = 72; // version 1: up to and including the identity length
constexpr std::size_t kMaxHeaderBytes = 1 << 16;
constexpr std::size_t kIoBlock = 1 << 20;

// Byte offsets of the version-1 header fields.
enum HeaderOffset : std::size_t
{
    kOffMagic = 0,
    kOffVersion = 8,
    kOffHeaderBytes = 12,
    kOffGeneration = 16,
    kOffDim = 24,
    kOffKind = 28,
    kOffCount = 32,
    kOffPayloadBytes = 40,
    kOffPayloadCrc = 48,
    kOffHeaderCrc = 52,
    kOffNprobe = 56,
    kOffRecall = 60,
    kOffNlist = 64,
    kOffIdentityBytes = 68,
    kOffIdentity = 72,
};

template<typename T> void putLE(std::vector<std::uint8_t> &buf, std::size_t off, T value)
{
    static_assert(std::is_integral_v<T>);
    using U = std::make_unsigned_t<T>;
    auto u = static_cast<U>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i)
        buf[off + i] = std::uint8_t(u >> (8 * i));
}

template<typename T> T getLE(const std::uint8_t *buf, std::size_t off)
{
    static_assert(std::is_integral_v<T>);
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        u |= U(buf[off + i]) << (8 * i);
    return static_cast<T>(u);
}

struct FileHeader
{
    std::int64_t generation = 0;
    std::uint32_t dim = 0;
    std::uint32_t kind = 0;
    std::uint64_t count = 0;
    std::uint64_t payloadBytes = 0;
    std::uint32_t payloadCrc = 0;
    std::uint32_t nprobe = 0;
    float recall = -1;
    std::uint32_t nlist = 0;
    std::string identity;
};

std::vector<std::uint8_t> encodeHeader(const FileHeader &h)
{
    std::vector<std::uint8_t> buf(kFixedHeaderBytes + h.identity.size(), 0);
    std::memcpy(buf.data() + kOffMagic, kMagic.data(), kMagic.size());
    putLE(buf, kOffVersion, kFormatVersion);
    putLE(buf, kOffHeaderBytes, std::uint32_t(buf.size()));
    putLE(buf, kOffGeneration, h.generation);
    putLE(buf, kOffDim, h.dim);
    putLE(buf, kOffKind, h.kind);
    putLE(buf, kOffCount, h.count);
    putLE(buf, kOffPayloadBytes, h.payloadBytes);
    putLE(buf, kOffPayloadCrc, h.payloadCrc);
    putLE(buf, kOffNprobe, h.nprobe);
    putLE(buf, kOffRecall, std::bit_cast<std::uint32_t>(h.recall));
    putLE(buf, kOffNlist, h.nlist);
    putLE(buf, kOffIdentityBytes, std::uint32_t(h.identity.size()));
    std::memcpy(buf.data() + kOffIdentity, h.identity.data(), h.identity.size());
    // The header checksum covers every header byte with its own field zeroed.
    putLE(buf, kOffHeaderCrc, std::uint32_t(crc32(0, buf.data(), uInt(buf.size()))));
    return buf;
}

std::string errnoText()
{
    return std::strerror(errno);
}

// Owns a POSIX file descriptor.
class Fd
{
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return m_fd; }
    int release()
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd;
};

bool writeAll(int fd, const void *data, std::size_t n)
{
    const auto *p = static_cast<const std::uint8_t *>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= std::size_t(w);
    }
    return true;
}

// Reads exactly n bytes; false on error or end of file.
bool readAll(int fd, void *data, std::size_t n)
{
    auto *p = static_cast<std::uint8_t *>(data);
    while (n > 0) {
        const ssize_t r = ::read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (r == 0)
            return false;
        p += r;
        n -= std::size_t(r);
    }
    return true;
}

// FAISS's serialiser writes through this: buffered, counted, checksummed.
class PayloadWriter : public faiss::IOWriter
{
public:
    explicit PayloadWriter(int fd) : m_fd(fd) { m_buf.reserve(kIoBlock); }
    size_t operator()(const void *ptr, size_t size, size_t nitems) override
    {
        const auto *p = static_cast<const std::uint8_t *>(ptr);
        std::size_t n = size * nitems;
        while (n > 0) {
            const std::size_t take = std::min(n, kIoBlock - m_buf.size());
            m_buf.insert(m_buf.end(), p, p + take);
            p += take;
            n -= take;
            if (m_buf.size() == kIoBlock && !flush())
                return 0;
        }
        return nitems;
    }
    bool flush()
    {
        if (m_buf.empty())
            return m_ok;
        m_crc = std::uint32_t(crc32(m_crc, m_buf.data(), uInt(m_buf.size())));
        m_bytes += m_buf.size();
        m_ok = m_ok && writeAll(m_fd, m_buf.data(), m_buf.size());
        m_buf.clear();
        return m_ok;
    }
    std::uint64_t bytes() const { return m_bytes; }
    std::uint32_t crc() const { return m_crc; }

private:
    int m_fd;
    std::vector<std::uint8_t> m_buf;
    std::uint64_t m_bytes = 0;
    std::uint32_t m_crc = 0;
    bool m_ok = true;
};

// FAISS's deserialiser reads through this; never past `limit` bytes.
class PayloadReader : public faiss::IOReader
{
public:
    PayloadReader(int fd, std::uint64_t limit) : m_fd(fd), m_left(limit) {}
    size_t operator()(void *ptr, size_t size, size_t nitems) override
    {
        if (size == 0 || nitems == 0)
            return 0;
        const std::uint64_t want = std::uint64_t(size) * nitems;
        const std::uint64_t can = std::min(want, m_left) / size * size;
        if (can == 0 || !readAll(m_fd, ptr, std::size_t(can)))
            return 0;
        m_left -= can;
        return std::size_t(can / size);
    }

private:
    int m_fd;
    std::uint64_t m_left;
};

void fsyncDirectoryOf(const std::filesystem::path &file)
{
    const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0)
        ::fsync(fd.get()); // best effort: some filesystems refuse fsync on a directory
}

// ---- readers, one per format version -----------------------------------------------------
// A reader gets the file positioned after the prefix (magic and version, already checked) and
// reads the rest of its header; the payload - FAISS's serialisation, checksummed - follows at
// headerBytes in every version. A new version adds a reader here and keeps the old ones, so
// files written by every earlier version keep loading.

struct HeaderRead
{
    FileHeader header;
    std::uint64_t headerBytes = 0;
    std::string error; // empty: read
};

HeaderRead readHeaderVersion1(int fd, std::uint64_t fileSize,
                              const std::vector<std::uint8_t> &prefix)
{
    HeaderRead r;
    std::vector<std::uint8_t> header(kFixedHeaderBytes);
    std::memcpy(header.data(), prefix.data(), kPrefixBytes);
    if (fileSize < kFixedHeaderBytes ||
        !readAll(fd, header.data() + kPrefixBytes, kFixedHeaderBytes - kPrefixBytes)) {
        r.error = "truncated: " + std::to_string(fileSize) + " bytes, shorter than a header";
        return r;
    }
    const auto headerBytes = getLE<std::uint32_t>(header.data(), kOffHeaderBytes);
    const auto identityBytes = getLE<std::uint32_t>(header.data(), kOffIdentityBytes);
    if (headerBytes > kMaxHeaderBytes || headerBytes != kFixedHeaderBytes + identityBytes ||
        headerBytes > fileSize) {
        r.error = "damaged header (sizes do not add up)";
        return r;
    }
    header.resize(headerBytes);
    if (!readAll(fd, header.data() + kFixedHeaderBytes, identityBytes)) {
        r.error = "truncated inside the header";
        return r;
    }
    const auto headerCrc = getLE<std::uint32_t>(header.data(), kOffHeaderCrc);
    putLE(header, kOffHeaderCrc, std::uint32_t(0));
    if (std::uint32_t(crc32(0, header.data(), uInt(header.size()))) != headerCrc) {
        r.error = "damaged header (checksum mismatch)";
        return r;
    }
    FileHeader &h = r.header;
    h.generation = getLE<std::int64_t>(header.data(), kOffGeneration);
    h.dim = getLE<std::uint32_t>(header.data(), kOffDim);
    h.kind = getLE<std::uint32_t>(header.data(), kOffKind);
    h.count = getLE<std::uint64_t>(header.data(), kOffCount);
    h.payloadBytes = getLE<std::uint64_t>(header.data(), kOffPayloadBytes);
    h.payloadCrc = getLE<std::uint32_t>(header.data(), kOffPayloadCrc);
    h.nprobe = getLE<std::uint32_t>(header.data(), kOffNprobe);
    h.recall = std::bit_cast<float>(getLE<std::uint32_t>(header.data(), kOffRecall));
    h.nlist = getLE<std::uint32_t>(header.data(), kOffNlist);
    h.identity.assign(reinterpret_cast<const char *>(header.data()) + kOffIdentity, identityBytes);
    r.headerBytes = headerBytes;
    return r;
}

struct FormatReader
{
    std::uint32_t version;
    HeaderRead (*read)(int fd, std::uint64_t fileSize, const std::vector<std::uint8_t> &prefix);
};
constexpr FormatReader kReaders[] = {{1, readHeaderVersion1}};

} // namespace

void VectorIndex::save(const std::filesystem::path &file, const IndexStamp &stamp) const
{
    std::shared_lock lock(d->mutex);
    std::filesystem::path tmp = file;
    tmp += ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0)
        throw IndexFileError(tmp, "cannot create: " + errnoText());
    auto fail = [&](const std::string &why) {
        ::close(fd.release());
        ::unlink(tmp.c_str());
        throw IndexFileError(tmp, why);
    };

    FileHeader h;
    h.generation = stamp.generation;
    h.dim = std::uint32_t(d->dim);
    h.kind = d->kind == IndexKind::Ivf ? 1 : 0;
    h.count = std::uint64_t(d->index->ntotal);
    h.nprobe = std::uint32_t(d->kind == IndexKind::Ivf ? d->ivf()->nprobe : 0);
    h.nlist = std::uint32_t(d->kind == IndexKind::Ivf ? d->ivf()->nlist : 0);
    h.recall = float(d->recall);
    h.identity = stamp.modelIdentity;
    // Header first with a zero payload size and checksum; rewritten once they are known.
    std::vector<std::uint8_t> header = encodeHeader(h);
    if (!writeAll(fd.get(), header.data(), header.size()))
        fail("write failed: " + errnoText());
    PayloadWriter payload(fd.get());
    try {
        faiss::write_index(d->index.get(), &payload);
    } catch (const std::exception &e) {
        fail(std::string("FAISS could not serialise the index: ") + e.what());
    }
    if (!payload.flush())
        fail("write failed: " + errnoText());
    h.payloadBytes = payload.bytes();
    h.payloadCrc = payload.crc();
    header = encodeHeader(h);
    if (::pwrite(fd.get(), header.data(), header.size(), 0) != ssize_t(header.size()))
        fail("write failed: " + errnoText());
    if (::fsync(fd.get()) != 0)
        fail("fsync failed: " + errnoText());
    if (::close(fd.release()) != 0) {
        ::unlink(tmp.c_str());
        throw IndexFileError(tmp, "close failed: " + errnoText());
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const std::string why = errnoText();
        ::unlink(tmp.c_str());
        throw IndexFileError(file, "rename from " + tmp.filename().string() + " failed: " + why);
    }
    fsyncDirectoryOf(file);
}

IndexLoadResult VectorIndex::load(const std::filesystem::path &file)
{
    IndexLoadResult result;
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        result.missing = errno == ENOENT;
        result.error = result.missing ? "missing" : "cannot open: " + errnoText();
        return result;
    }
    struct stat st = {};
    if (::fstat(fd.get(), &st) != 0) {
        result.error = "cannot stat: " + errnoText();
        return result;
    }
    const std::uint64_t fileSize = std::uint64_t(st.st_size);
    std::vector<std::uint8_t> prefix(kPrefixBytes);
    if (fileSize < kPrefixBytes || !readAll(fd.get(), prefix.data(), prefix.size())) {
        result.error = "truncated: " + std::to_string(fileSize) + " bytes, shorter than a header";
        return result;
    }
    if (std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0) {
        result.error = "not an Imago index file (bad magic)";
        return result;
    }
    const auto version = getLE<std::uint32_t>(prefix.data(), kOffVersion);
    const FormatReader *reader = nullptr;
    for (const FormatReader &r : kReaders)
        if (r.version == version)
            reader = &r;
    if (!reader) {
        result.error = "format version " + std::to_string(version) + " (this Imago reads 1 to " +
                       std::to_string(kFormatVersion) + ")";
        return result;
    }
    HeaderRead read = reader->read(fd.get(), fileSize, prefix);
    if (!read.error.empty()) {
        result.error = std::move(read.error);
        return result;
    }
    const FileHeader &h = read.header;
    const std::uint64_t headerBytes = read.headerBytes;
    result.stamp.generation = h.generation;
    result.stamp.modelIdentity = h.identity;
    if (h.dim == 0 || h.kind > 1) {
        result.error = "damaged header (dim " + std::to_string(h.dim) + ", kind " +
                       std::to_string(h.kind) + ")";
        return result;
    }
    if (fileSize != headerBytes + h.payloadBytes) {
        result.error = "truncated: " + std::to_string(fileSize) + " bytes, the header says " +
                       std::to_string(headerBytes + h.payloadBytes);
        return result;
    }
    // Checksum the whole payload before FAISS parses any of it: its reader trusts sizes.
    {
        std::vector<std::uint8_t> block(kIoBlock);
        std::uint64_t left = h.payloadBytes;
        std::uint32_t crc = 0;
        while (left > 0) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(left, block.size()));
            if (!readAll(fd.get(), block.data(), n)) {
                result.error = "read failed: " + errnoText();
                return result;
            }
            crc = std::uint32_t(crc32(crc, block.data(), uInt(n)));
            left -= n;
        }
        if (crc != h.payloadCrc) {
            result.error = "damaged (payload checksum mismatch)";
            return result;
        }
    }
    if (::lseek(fd.get(), off_t(headerBytes), SEEK_SET) != off_t(headerBytes)) {
        result.error = "seek failed: " + errnoText();
        return result;
    }
    std::unique_ptr<faiss::Index> index;
    try {
        PayloadReader payload(fd.get(), h.payloadBytes);
        index.reset(faiss::read_index(&payload));
    } catch (const std::exception &e) {
        result.error = std::string("FAISS could not read it: ") + e.what();
        return result;
    }
    auto impl = std::make_unique<Impl>();
    impl->dim = int(h.dim);
    impl->kind = h.kind == 1 ? IndexKind::Ivf : IndexKind::Flat;
    impl->recall = h.recall;
    bool shapeOk = index && index->d == idx_t(h.dim) && index->ntotal == idx_t(h.count) &&
                   index->metric_type == faiss::METRIC_INNER_PRODUCT;
    if (shapeOk && impl->kind == IndexKind::Flat) {
        auto *idMap = dynamic_cast<faiss::IndexIDMap2 *>(index.get());
        shapeOk = idMap && dynamic_cast<faiss::IndexFlatIP *>(idMap->index) != nullptr &&
                  idMap->rev_map.size() == std::size_t(idMap->ntotal);
    } else if (shapeOk) {
        auto *ivf = dynamic_cast<faiss::IndexIVFFlat *>(index.get());
        shapeOk = ivf && ivf->direct_map.type == faiss::DirectMap::Hashtable;
    }
    if (!shapeOk) {
        result.error = "the FAISS index does not match its header (dim, count, metric or type)";
        return result;
    }
    impl->index = std::move(index);
    result.index.reset(new VectorIndex(std::move(impl)));
    return result;
}

} // namespace imago
