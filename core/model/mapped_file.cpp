#include "mapped_file.h"

#include "checkpoint_error.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imago::flava {

std::optional<std::string> readWholeFile(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

MappedFile::MappedFile(const std::filesystem::path &path) : m_path(path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw CheckpointError(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw CheckpointError(path, "not a regular file");
    }
    m_size = static_cast<std::size_t>(st.st_size);
    if (m_size > 0) {
        void *p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw CheckpointError(path, std::string("cannot map: ") + std::strerror(err));
        }
        m_data = static_cast<const std::uint8_t *>(p);
    }
    ::close(fd);
}

void MappedFile::dropResident() const
{
    if (m_data)
        ::madvise(const_cast<std::uint8_t *>(m_data), m_size, MADV_DONTNEED);
}

void MappedFile::dropResident(std::size_t offset, std::size_t length) const
{
    if (m_data && offset < m_size)
        ::madvise(const_cast<std::uint8_t *>(m_data) + offset, std::min(length, m_size - offset),
                  MADV_DONTNEED);
}

MappedFile::~MappedFile()
{
    if (m_data)
        ::munmap(const_cast<std::uint8_t *>(m_data), m_size);
}

} // namespace imago::flava
