#include "runtime.h"

#include "mapped_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sched.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace imago::flava {

namespace {
char *g_displacedEntry = nullptr; // the environment entry lent by the pre-init hook
char *g_lentEntry = nullptr;      // "OMP_WAIT_POLICY=PASSIVE" in its place
} // namespace

void lendToOpenMpPolicy(char *displaced, char *entry)
{
    g_displacedEntry = displaced;
    g_lentEntry = entry;
}

void ensurePassiveOpenMp(int /*argc*/, char **argv, bool mayReexecute)
{
    if (g_lentEntry != nullptr) {
        // `environ` may be a copy by now (a setenv() in some initialiser): find the entry.
        for (char **e = environ; e != nullptr && *e != nullptr; ++e) {
            if (*e == g_lentEntry) {
                *e = g_displacedEntry;
                break;
            }
        }
        g_lentEntry = g_displacedEntry = nullptr;
        ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        return;
    }
    if (!mayReexecute || std::getenv("OMP_WAIT_POLICY") != nullptr)
        return;
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    // Guard against a loop should the exec'd image somehow not see the variable.
    if (std::getenv("IMAGO_REEXECED") != nullptr)
        return;
    ::setenv("IMAGO_REEXECED", "1", 1);
    ::execv("/proc/self/exe", argv);
    // execv failed (no /proc?): carry on with the default policy rather than fail.
}

int availableCores()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

struct CpuTimes
{
    long long busy = 0, total = 0;
};

CpuTimes readCpuTimes()
{
    std::ifstream in("/proc/stat");
    std::string cpu;
    CpuTimes t;
    if (!(in >> cpu) || cpu != "cpu")
        return t;
    long long v[8] = {};
    for (auto &x : v)
        in >> x;
    // user nice system idle iowait irq softirq steal
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.total = t.busy + v[3] + v[4];
    return t;
}

std::mutex g_handlerMutex;
std::function<void(const std::string &)> g_handler;

} // namespace

int recommendedThreads()
{
    const int cores = availableCores();
    const CpuTimes a = readCpuTimes();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const CpuTimes b = readCpuTimes();
    const long long total = b.total - a.total;
    if (total <= 0)
        return cores;
    // Busy fraction of the whole machine (all cores), scaled to the cores we may use.
    const long onlineCores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    const double busyCores = double(b.busy - a.busy) / double(total) * double(onlineCores);
    const int idle =
        static_cast<int>(std::lround(double(cores) - std::min<double>(busyCores, cores)));
    return std::clamp(idle, 1, cores);
}

void setWarningHandler(std::function<void(const std::string &)> handler)
{
    std::lock_guard lock(g_handlerMutex);
    g_handler = std::move(handler);
}

void warn(const std::string &message)
{
    std::lock_guard lock(g_handlerMutex);
    if (g_handler)
        g_handler(message);
    else
        std::fprintf(stderr, "imago: warning: %s\n", message.c_str());
}

CpuFeatures parseCpuInfo(const std::string &text)
{
    CpuFeatures cpu;
    std::istringstream lines(text);
    std::string line;
    bool flagsSeen = false;
    while (std::getline(lines, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string key = line.substr(0, colon);
        while (!key.empty() && (key.back() == ' ' || key.back() == '\t'))
            key.pop_back();
        const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (key == "model name" && cpu.modelName.empty())
            cpu.modelName = value;
        if (key != "flags" || flagsSeen)
            continue;
        flagsSeen = true; // the first processor's; all cores of a machine share them
        std::istringstream words(value);
        std::string f;
        while (words >> f) {
            cpu.avx2 |= f == "avx2";
            cpu.avx512f |= f == "avx512f";
            cpu.avx512Bf16 |= f == "avx512_bf16";
            cpu.amxBf16 |= f == "amx_bf16";
            cpu.amxInt8 |= f == "amx_int8";
            cpu.vnni |= f == "avx512_vnni" || f == "avx_vnni";
            cpu.avx512Vnni |= f == "avx512_vnni";
            cpu.avx512bw |= f == "avx512bw";
        }
    }
    return cpu;
}

std::string CpuFeatures::summary() const
{
    std::string s;
    const auto add = [&s](bool on, const char *name) {
        if (!on)
            return;
        if (!s.empty())
            s += ' ';
        s += name;
    };
    add(avx2, "avx2");
    add(avx512f, "avx512f");
    add(vnni, "vnni");
    add(avx512Bf16, "avx512_bf16");
    add(amxBf16, "amx_bf16");
    add(amxInt8, "amx_int8");
    return s.empty() ? "none of avx2/avx512/amx" : s;
}

const CpuFeatures &cpuFeatures()
{
    static const CpuFeatures cpu = [] {
        // An unreadable file gives all false.
        return parseCpuInfo(readWholeFile("/proc/cpuinfo").value_or(std::string()));
    }();
    return cpu;
}

std::string precisionName(Precision precision)
{
    switch (precision) {
    case Precision::BFloat16:
        return "bf16";
    case Precision::Int8:
        return "int8";
    case Precision::Float32:
        break;
    }
    return "fp32";
}

Precision bestCpuPrecision(const CpuFeatures &cpu)
{
    if (cpu.hasBf16())
        return Precision::BFloat16;
    if (cpu.vnni)
        return Precision::Int8;
    return Precision::Float32;
}

} // namespace imago::flava
