#include "torch_pickle.h"

#include "checkpoint_error.h"

#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

namespace imago::flava {

namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };

struct Value
{
    Kind kind = Kind::None;
    std::int64_t i = 0;
    double f = 0;
    std::string s;                 // String; Global module; Storage key
    std::string s2;                // Global name
    std::vector<ValuePtr> items;   // Tuple, List; Dict as key, value, key, value, ...
    DType dtype = DType::F32;      // Storage, and Global when it names a storage type
    bool storageType = false;      // Global naming torch.<Type>Storage
    PickledTensor tensor;          // Tensor
};

const char *kindName(Kind k)
{
    switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
    }
    return "?";
}

std::optional<DType> storageDType(const std::string &name)
{
    static const std::pair<const char *, DType> table[] = {
        {"FloatStorage", DType::F32}, {"HalfStorage", DType::F16},
        {"BFloat16Storage", DType::BF16}, {"DoubleStorage", DType::F64},
        {"LongStorage", DType::I64},  {"IntStorage", DType::I32},
        {"ShortStorage", DType::I16}, {"CharStorage", DType::I8},
        {"ByteStorage", DType::U8},   {"BoolStorage", DType::Bool},
    };
    for (const auto &[n, t] : table)
        if (name == n)
            return t;
    return std::nullopt;
}

class Unpickler
{
public:
    Unpickler(std::span<const std::uint8_t> data, const std::filesystem::path &file)
        : m_data(data), m_file(file)
    {
    }
    ~Unpickler()
    {
        // Break any reference cycles a hostile pickle built (a dict put into itself) and keep
        // destruction flat however deep the nesting.
        for (auto &v : m_arena)
            v->items.clear();
    }

    ValuePtr run();

private:
    [[noreturn]] void fail(const std::string &why) const
    {
        throw CheckpointError(m_file, "refused pickle at byte " + std::to_string(m_opPos) + ": " +
                                          why);
    }
    ValuePtr make(Kind k)
    {
        auto v = std::make_shared<Value>();
        v->kind = k;
        m_arena.push_back(v);
        return v;
    }
    const std::uint8_t *take(std::size_t n)
    {
        if (n > m_data.size() - m_pos)
            fail("data ends inside an opcode (truncated file)");
        const std::uint8_t *p = m_data.data() + m_pos;
        m_pos += n;
        return p;
    }
    std::uint64_t le(std::size_t n)
    {
        const std::uint8_t *p = take(n);
        std::uint64_t v = 0;
        for (std::size_t k = n; k-- > 0;)
            v = (v << 8) | p[k];
        return v;
    }
    std::string line()
    {
        std::size_t end = m_pos;
        while (end < m_data.size() && m_data[end] != '\n')
            ++end;
        if (end == m_data.size())
            fail("unterminated GLOBAL name");
        std::string s(reinterpret_cast<const char *>(m_data.data() + m_pos), end - m_pos);
        m_pos = end + 1;
        return s;
    }
    ValuePtr pop()
    {
        if (m_stack.size() <= m_markFloor())
            fail("stack underflow");
        ValuePtr v = std::move(m_stack.back());
        m_stack.pop_back();
        return v;
    }
    ValuePtr &top()
    {
        if (m_stack.size() <= m_markFloor())
            fail("stack underflow");
        return m_stack.back();
    }
    std::size_t m_markFloor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    std::vector<ValuePtr> popToMark()
    {
        if (m_marks.empty())
            fail("no MARK on the stack");
        const std::size_t at = m_marks.back();
        m_marks.pop_back();
        std::vector<ValuePtr> items(std::make_move_iterator(m_stack.begin() + at),
                                    std::make_move_iterator(m_stack.end()));
        m_stack.resize(at);
        return items;
    }
    void push(ValuePtr v) { m_stack.push_back(std::move(v)); }
    ValuePtr makeInt(std::int64_t i)
    {
        auto v = make(Kind::Int);
        v->i = i;
        return v;
    }
    ValuePtr makeTuple(std::vector<ValuePtr> items)
    {
        auto v = make(Kind::Tuple);
        v->items = std::move(items);
        return v;
    }
    ValuePtr global(const std::string &module, const std::string &name);
    ValuePtr persistentLoad(const ValuePtr &pid);
    ValuePtr reduce(const ValuePtr &callable, const ValuePtr &args);
    void setItems(const ValuePtr &dict, std::vector<ValuePtr> kv);
    std::vector<std::int64_t> intTuple(const ValuePtr &v, const char *what);

    std::span<const std::uint8_t> m_data;
    const std::filesystem::path &m_file;
    std::size_t m_pos = 0;
    std::size_t m_opPos = 0;
    std::vector<ValuePtr> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<std::uint64_t, ValuePtr> m_memo;
    std::vector<ValuePtr> m_arena;
};

ValuePtr Unpickler::global(const std::string &module, const std::string &name)
{
    auto v = make(Kind::Global);
    v->s = module;
    v->s2 = name;
    if (module == "collections" && name == "OrderedDict")
        return v;
    if (module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter"))
        return v;
    if (module == "torch") {
        if (auto t = storageDType(name)) {
            v->storageType = true;
            v->dtype = *t;
            return v;
        }
    }
    fail("global '" + module + "." + name +
         "' is not allowed (a state dict needs only OrderedDict, tensors and storages; "
         "this file may try to run code)");
}

std::vector<std::int64_t> Unpickler::intTuple(const ValuePtr &v, const char *what)
{
    if (v->kind != Kind::Tuple)
        fail(std::string(what) + " must be a tuple, got " + kindName(v->kind));
    std::vector<std::int64_t> out;
    for (const auto &x : v->items) {
        if (x->kind != Kind::Int)
            fail(std::string(what) + " holds a " + kindName(x->kind));
        out.push_back(x->i);
    }
    return out;
}

ValuePtr Unpickler::persistentLoad(const ValuePtr &pid)
{
    // ('storage', <StorageType>, key, location, numel)
    if (pid->kind != Kind::Tuple || pid->items.size() != 5 ||
        pid->items[0]->kind != Kind::String || pid->items[0]->s != "storage")
        fail("persistent id is not a ('storage', type, key, location, numel) tuple");
    const ValuePtr &type = pid->items[1];
    const ValuePtr &key = pid->items[2];
    const ValuePtr &numel = pid->items[4];
    if (type->kind != Kind::Global || !type->storageType)
        fail("persistent id names no storage type");
    if (key->kind != Kind::String || numel->kind != Kind::Int || numel->i < 0)
        fail("persistent id has a bad key or element count");
    auto v = make(Kind::Storage);
    v->dtype = type->dtype;
    v->s = key->s;
    v->i = numel->i;
    return v;
}

ValuePtr Unpickler::reduce(const ValuePtr &callable, const ValuePtr &args)
{
    if (callable->kind != Kind::Global)
        fail(std::string("REDUCE on a ") + kindName(callable->kind));
    if (args->kind != Kind::Tuple)
        fail("REDUCE arguments are not a tuple");
    const auto &a = args->items;
    if (callable->s2 == "OrderedDict") {
        if (!a.empty())
            fail("OrderedDict called with arguments");
        return make(Kind::Dict);
    }
    if (callable->s2 == "_rebuild_tensor_v2") {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (a.size() < 6 || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int)
            fail("_rebuild_tensor_v2 called with unexpected arguments");
        auto v = make(Kind::Tensor);
        v->tensor.dtype = a[0]->dtype;
        v->tensor.storageKey = a[0]->s;
        v->tensor.storageNumel = a[0]->i;
        v->tensor.storageOffset = a[1]->i;
        v->tensor.shape = intTuple(a[2], "tensor size");
        v->tensor.strides = intTuple(a[3], "tensor stride");
        if (v->tensor.shape.size() != v->tensor.strides.size())
            fail("tensor size and stride differ in length");
        return v;
    }
    if (callable->s2 == "_rebuild_parameter") {
        if (a.empty() || a[0]->kind != Kind::Tensor)
            fail("_rebuild_parameter called with unexpected arguments");
        return a[0];
    }
    fail("cannot call " + callable->s + "." + callable->s2);
}

void Unpickler::setItems(const ValuePtr &dict, std::vector<ValuePtr> kv)
{
    if (dict->kind != Kind::Dict)
        fail(std::string("SETITEM on a ") + kindName(dict->kind));
    if (kv.size() % 2 != 0)
        fail("SETITEMS with an odd number of items");
    for (auto &x : kv) {
        if (x == dict)
            fail("a dict cannot contain itself");
        dict->items.push_back(std::move(x));
    }
}

ValuePtr Unpickler::run()
{
    while (true) {
        m_opPos = m_pos;
        const std::uint8_t op = *take(1);
        switch (op) {
        case 0x80: // PROTO
            if (le(1) > 5)
                fail("unsupported pickle protocol");
            break;
        case 0x95: // FRAME (protocol 4): a length hint only
            le(8);
            break;
        case '.': { // STOP
            ValuePtr v = pop();
            return v;
        }
        case '(': // MARK
            m_marks.push_back(m_stack.size());
            break;
        case '}': // EMPTY_DICT
            push(make(Kind::Dict));
            break;
        case ')': // EMPTY_TUPLE
            push(makeTuple({}));
            break;
        case ']': // EMPTY_LIST
            push(make(Kind::List));
            break;
        case 't': // TUPLE
            push(makeTuple(popToMark()));
            break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: { // TUPLE3
            const std::size_t n = op - 0x84;
            std::vector<ValuePtr> items(n);
            for (std::size_t k = n; k-- > 0;)
                items[k] = pop();
            push(makeTuple(std::move(items)));
            break;
        }
        case 'a': { // APPEND
            ValuePtr v = pop();
            ValuePtr &list = top();
            if (list->kind != Kind::List || v == list)
                fail("APPEND to a non-list");
            list->items.push_back(std::move(v));
            break;
        }
        case 'e': { // APPENDS
            auto items = popToMark();
            ValuePtr &list = top();
            if (list->kind != Kind::List)
                fail("APPENDS to a non-list");
            for (auto &x : items) {
                if (x == list)
                    fail("a list cannot contain itself");
                list->items.push_back(std::move(x));
            }
            break;
        }
        case 's': { // SETITEM
            ValuePtr value = pop();
            ValuePtr key = pop();
            setItems(top(), {std::move(key), std::move(value)});
            break;
        }
        case 'u': { // SETITEMS
            auto kv = popToMark();
            setItems(top(), std::move(kv));
            break;
        }
        case 'X':    // BINUNICODE
        case 0x8c:   // SHORT_BINUNICODE
        case 0x8d: { // BINUNICODE8
            const std::uint64_t n = le(op == 'X' ? 4 : op == 0x8c ? 1 : 8);
            if (n > m_data.size() - m_pos)
                fail("string of " + std::to_string(n) + " bytes runs past the end");
            auto v = make(Kind::String);
            v->s.assign(reinterpret_cast<const char *>(take(n)), n);
            push(v);
            break;
        }
        case 'J': // BININT
            push(makeInt(static_cast<std::int32_t>(le(4))));
            break;
        case 'K': // BININT1
            push(makeInt(static_cast<std::int64_t>(le(1))));
            break;
        case 'M': // BININT2
            push(makeInt(static_cast<std::int64_t>(le(2))));
            break;
        case 0x8a: { // LONG1
            const std::uint64_t n = le(1);
            if (n > 8)
                fail("integer wider than 64 bits");
            std::uint64_t raw = n ? le(n) : 0;
            if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1)
                raw |= ~0ull << (8 * n); // sign-extend
            push(makeInt(static_cast<std::int64_t>(raw)));
            break;
        }
        case 'G': { // BINFLOAT, big-endian
            const std::uint8_t *p = take(8);
            std::uint64_t bits = 0;
            for (int k = 0; k < 8; ++k)
                bits = (bits << 8) | p[k];
            auto v = make(Kind::Float);
            std::memcpy(&v->f, &bits, 8);
            push(v);
            break;
        }
        case 'N': // NONE
            push(make(Kind::None));
            break;
        case 0x88: // NEWTRUE
        case 0x89: { // NEWFALSE
            auto v = make(Kind::Bool);
            v->i = op == 0x88;
            push(v);
            break;
        }
        case 'c': { // GLOBAL
            const std::string module = line();
            const std::string name = line();
            push(global(module, name));
            break;
        }
        case 0x93: { // STACK_GLOBAL
            ValuePtr name = pop();
            ValuePtr module = pop();
            if (module->kind != Kind::String || name->kind != Kind::String)
                fail("STACK_GLOBAL needs two strings");
            push(global(module->s, name->s));
            break;
        }
        case 'q': // BINPUT
            m_memo[le(1)] = top();
            break;
        case 'r': // LONG_BINPUT
            m_memo[le(4)] = top();
            break;
        case 0x94: // MEMOIZE
            m_memo[m_memo.size()] = top();
            break;
        case 'h':   // BINGET
        case 'j': { // LONG_BINGET
            const std::uint64_t key = le(op == 'h' ? 1 : 4);
            const auto it = m_memo.find(key);
            if (it == m_memo.end())
                fail("memo key " + std::to_string(key) + " was never stored");
            push(it->second);
            break;
        }
        case 'Q': { // BINPERSID
            ValuePtr pid = pop();
            push(persistentLoad(pid));
            break;
        }
        case 'R': { // REDUCE
            ValuePtr args = pop();
            ValuePtr callable = pop();
            push(reduce(callable, args));
            break;
        }
        case 'b': { // BUILD: only the OrderedDict's _metadata attribute, which is ignored
            ValuePtr state = pop();
            if (top()->kind != Kind::Dict)
                fail(std::string("BUILD on a ") + kindName(top()->kind));
            break;
        }
        default: {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", op);
            fail(std::string("opcode ") + hex + " is not allowed in a state dict");
        }
        }
    }
}

} // namespace

std::vector<PickledTensor> parseTorchStateDict(std::span<const std::uint8_t> pickle,
                                               const std::filesystem::path &file)
{
    Unpickler u(pickle, file);
    const ValuePtr root = u.run();
    if (root->kind != Kind::Dict)
        throw CheckpointError(file, std::string("pickle holds a ") + kindName(root->kind) +
                                        ", not a state dict");
    std::vector<PickledTensor> out;
    for (std::size_t k = 0; k + 1 < root->items.size(); k += 2) {
        const ValuePtr &key = root->items[k];
        const ValuePtr &value = root->items[k + 1];
        if (key->kind != Kind::String || value->kind != Kind::Tensor)
            continue; // not a tensor entry (e.g. a version number): nothing to load
        PickledTensor t = value->tensor;
        t.name = key->s;
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace imago::flava
