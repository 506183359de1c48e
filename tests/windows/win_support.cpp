#include "win_support.hpp"

#include "win.hpp" // quote_argument(): the library's command-line quoting

#include <aclapi.h>
#include <sddl.h>
#include <tlhelp32.h>

#include <fstream>
#include <sstream>

namespace wintest {

namespace {
using clock = std::chrono::steady_clock;
using daemoniker::detail::win::quote_argument;

DWORD remaining(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left <= 0 ? 0 : static_cast<DWORD>(left);
}

std::wstring widen(const std::string& s) { return from_utf8(s).wstring(); }

} // namespace

std::filesystem::path helper_path() {
    wchar_t self[MAX_PATH];
    ::GetModuleFileNameW(nullptr, self, MAX_PATH);
    return std::filesystem::path(self).parent_path() / DAEMONIKER_WIN_HELPER;
}

std::filesystem::path cli_path() { return helper_path().parent_path() / "daemoniker.exe"; }

Result run_helper(const std::vector<std::string>& args, const std::vector<std::string>& env,
                  std::chrono::milliseconds timeout) {
    return run_program(helper_path(), args, env, timeout);
}

Result run_program(const std::filesystem::path& exe, const std::vector<std::string>& args,
                   const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
    wchar_t tmp[MAX_PATH];
    ::GetTempPathW(MAX_PATH, tmp);
    static int counter = 0;
    const auto base = std::filesystem::path(tmp) / (L"dmn-run-" + std::to_wstring(::GetCurrentProcessId()) + L"-" +
                                                    std::to_wstring(++counter));
    const auto out_path = base.wstring() + L".out";
    const auto err_path = base.wstring() + L".err";
    SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
    HANDLE out = ::CreateFileW(out_path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               &inherit, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    HANDLE err = ::CreateFileW(err_path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               &inherit, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    std::wstring cmd = quote_argument(exe.wstring());
    for (const auto& a : args) cmd += L" " + quote_argument(widen(a));
    // The current environment (without earlier injections) plus `env`.
    std::wstring block;
    wchar_t* cur = ::GetEnvironmentStringsW();
    for (const wchar_t* q = cur; *q != L'\0'; q += std::wcslen(q) + 1)
        if (std::wstring_view(q).rfind(L"DAEMONIKER_TEST_", 0) != 0) block.append(q).push_back(L'\0');
    ::FreeEnvironmentStringsW(cur);
    for (const auto& e : env) block.append(widen(e)).push_back(L'\0');
    block.push_back(L'\0');
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = nullptr;
    si.hStdOutput = out;
    si.hStdError = err;
    PROCESS_INFORMATION pi{};
    Result r;
    const BOOL ok = ::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, CREATE_UNICODE_ENVIRONMENT,
                                     block.data(), nullptr, &si, &pi);
    ::CloseHandle(out);
    ::CloseHandle(err);
    if (!ok) {
        ADD_FAILURE() << "CreateProcessW failed: " << ::GetLastError();
        return r;
    }
    r.pid = pi.dwProcessId;
    if (::WaitForSingleObject(pi.hProcess, static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0) {
        ::TerminateProcess(pi.hProcess, 99);
        ::WaitForSingleObject(pi.hProcess, 5000);
        ADD_FAILURE() << utf8(exe.filename()) << " timed out and was terminated";
    }
    ::GetExitCodeProcess(pi.hProcess, &r.exit_code);
    r.process = std::shared_ptr<void>(pi.hProcess, [](void* h) { ::CloseHandle(h); });
    ::CloseHandle(pi.hThread);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    std::error_code ec;
    std::filesystem::remove(out_path, ec);
    std::filesystem::remove(err_path, ec);
    return r;
}

std::string slurp(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    std::string text = s.str();
    // Text-mode writers on Windows end lines with CRLF; compare as LF.
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out.push_back(text[i]);
    return out;
}

bool wait_for_file(const std::filesystem::path& path, const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    HANDLE change = ::FindFirstChangeNotificationW(path.parent_path().c_str(), FALSE,
                                                   FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE |
                                                       FILE_NOTIFY_CHANGE_SIZE);
    bool found = false;
    for (;;) {
        std::error_code ec;
        found = std::filesystem::exists(path, ec) && (needle.empty() || slurp(path).find(needle) != std::string::npos);
        if (found || clock::now() >= deadline) break;
        if (change == INVALID_HANDLE_VALUE) {
            ::Sleep(20); // no notifications here: fall back to a short poll
        } else {
            // A bounded wait: a change that happened just before the wait
            // began is caught by the next check at most 100 ms later.
            ::WaitForSingleObject(change, std::min<DWORD>(remaining(deadline), 100));
            ::FindNextChangeNotification(change);
        }
    }
    if (change != INVALID_HANDLE_VALUE) ::FindCloseChangeNotification(change);
    return found;
}

std::map<std::string, std::string> read_report(const std::filesystem::path& path) {
    std::map<std::string, std::string> m;
    // Wait for content, not just the name: under load, Wine has shown a
    // reader the renamed report before its content was readable.
    if (!wait_for_file(path, "pid=")) {
        ADD_FAILURE() << "no report at " << utf8(path);
        return m;
    }
    std::istringstream in(slurp(path));
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return m;
}

std::string bytes_of(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

namespace {

// The DACL of `path` and the descriptor that holds it (LocalFree it).
std::pair<PACL, PSECURITY_DESCRIPTOR> dacl_of(const std::filesystem::path& path, DWORD& error) {
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR sd = nullptr;
    error = ::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                                    nullptr, &sd);
    return {dacl, sd};
}

bool is_group(PSID sid, WELL_KNOWN_SID_TYPE group) { return ::IsWellKnownSid(sid, group) != FALSE; }

} // namespace

DWORD set_access(const std::filesystem::path& path, WELL_KNOWN_SID_TYPE group, ACCESS_MASK access, DWORD inheritance) {
    DWORD error = 0;
    auto [current, sd] = dacl_of(path, error);
    if (error != ERROR_SUCCESS) return error;
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sid_size = sizeof sid;
    if (!::CreateWellKnownSid(group, nullptr, sid, &sid_size)) return ::GetLastError();
    EXPLICIT_ACCESSW entry{};
    entry.grfAccessPermissions = access;
    entry.grfAccessMode = SET_ACCESS;
    entry.grfInheritance = inheritance;
    entry.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    entry.Trustee.TrusteeType = TRUSTEE_IS_WELL_KNOWN_GROUP;
    entry.Trustee.ptstrName = reinterpret_cast<LPWSTR>(sid);
    PACL updated = nullptr;
    error = ::SetEntriesInAclW(1, &entry, current, &updated);
    if (error == ERROR_SUCCESS)
        error = ::SetNamedSecurityInfoW(const_cast<wchar_t*>(path.c_str()), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                                        nullptr, nullptr, updated, nullptr);
    ::LocalFree(updated);
    ::LocalFree(sd);
    return error;
}

DWORD set_null_dacl(const std::filesystem::path& path) {
    return ::SetNamedSecurityInfoW(const_cast<wchar_t*>(path.c_str()), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                                   nullptr, nullptr, nullptr, nullptr);
}

bool dacl_allows_write(const std::filesystem::path& path, WELL_KNOWN_SID_TYPE group) {
    DWORD error = 0;
    auto [dacl, sd] = dacl_of(path, error);
    bool found = false;
    for (DWORD i = 0; error == ERROR_SUCCESS && dacl != nullptr && i < dacl->AceCount; ++i) {
        void* ace = nullptr;
        if (!::GetAce(dacl, i, &ace) || static_cast<ACE_HEADER*>(ace)->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
        auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
        if (is_group(&allowed->SidStart, group) && (allowed->Mask & FILE_WRITE_DATA) != 0) found = true;
    }
    ::LocalFree(sd);
    return found;
}

bool has_null_dacl(const std::filesystem::path& path) {
    DWORD error = 0;
    auto [dacl, sd] = dacl_of(path, error);
    ::LocalFree(sd);
    return error == ERROR_SUCCESS && dacl == nullptr;
}

std::string dacl_text(const std::filesystem::path& path) {
    DWORD error = 0;
    auto [dacl, sd] = dacl_of(path, error);
    if (error != ERROR_SUCCESS) return "(GetNamedSecurityInfoW failed: " + std::to_string(error) + ")";
    wchar_t* text = nullptr;
    std::string out = "(no SDDL)";
    if (::ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text,
                                                               nullptr))
        out = utf8(std::filesystem::path(text));
    ::LocalFree(text);
    ::LocalFree(sd);
    return out;
}

bool lock_held(const std::filesystem::path& path) {
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                             OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return false;
    OVERLAPPED at{};
    at.OffsetHigh = 0x100; // 2^40, where the library locks
    const bool got = ::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at) != 0;
    if (got) ::UnlockFileEx(h, 0, 1, 0, &at);
    ::CloseHandle(h);
    return !got;
}

bool alive(DWORD pid) {
    HANDLE h = ::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (h == nullptr) return false;
    const bool running = ::WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
    ::CloseHandle(h);
    return running;
}

bool wait_exit(DWORD pid, std::chrono::milliseconds timeout) {
    HANDLE h = ::OpenProcess(SYNCHRONIZE, FALSE, pid);
    if (h == nullptr) return true;
    const bool done = ::WaitForSingleObject(h, static_cast<DWORD>(timeout.count())) == WAIT_OBJECT_0;
    ::CloseHandle(h);
    return done;
}

std::uint64_t created_at(HANDLE process) {
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
    return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

void terminate(HANDLE h) {
    ::TerminateProcess(h, 1);
    ::WaitForSingleObject(h, 5000);
}

std::set<DWORD> live_children_of(DWORD parent, std::uint64_t not_before) {
    std::set<DWORD> kids;
    HANDLE snap = ::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) return kids;
    PROCESSENTRY32W e{};
    e.dwSize = sizeof e;
    for (BOOL more = ::Process32FirstW(snap, &e); more; more = ::Process32NextW(snap, &e)) {
        if (e.th32ParentProcessID != parent || !alive(e.th32ProcessID)) continue;
        if (not_before != 0) {
            HANDLE h = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, e.th32ProcessID);
            if (h == nullptr) continue;
            const auto created = created_at(h);
            ::CloseHandle(h);
            if (created < not_before) continue;
        }
        kids.insert(e.th32ProcessID);
    }
    ::CloseHandle(snap);
    return kids;
}

void WinProcessTest::record(DWORD pid) {
    HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (h == nullptr) return; // gone already: nothing to end
    recorded_[pid] = std::shared_ptr<void>(h, [](void* p) { ::CloseHandle(p); });
}

std::filesystem::path make_test_directory() {
    wchar_t tmp[MAX_PATH];
    ::GetTempPathW(MAX_PATH, tmp);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_'); // parameterized tests are named "Test/3"
    auto dir = std::filesystem::path(tmp) /
               (L"daemoniker-test-" + std::to_wstring(::GetCurrentProcessId()) + L"-" + from_utf8(name).wstring());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

void WinProcessTest::SetUp() {
    dir_ = make_test_directory();
    ASSERT_TRUE(std::filesystem::is_directory(dir_));
}

Result WinProcessTest::helper(const std::string& mode, std::vector<std::string> kv, const std::vector<std::string>& env) {
    std::vector<std::string> args{mode, p("d.pid"), p("report")};
    args.insert(args.end(), kv.begin(), kv.end());
    // The daemon writes its report after its launcher returned: an earlier
    // daemon's report must not be there to be read in its place (or caught
    // half-way through being replaced).
    std::error_code ec;
    std::filesystem::remove(path("report"), ec);
    Result r = run_helper(args, env);
    launched(r);
    return r;
}

void clean_up(std::map<DWORD, std::shared_ptr<void>>& recorded, std::map<DWORD, std::shared_ptr<void>>& launched,
              const std::filesystem::path& dir) {
    for (const auto& [pid, handle] : recorded) terminate(handle.get());
    // Daemons of failed starts end on their own: give them a moment. The
    // launched processes' handles are still open, so their PIDs name them
    // alone; children older than their parent belong to an earlier owner of
    // the PID.
    for (const auto& [parent, handle] : launched) {
        const auto born = handle ? created_at(handle.get()) : 0;
        for (DWORD kid : live_children_of(parent, born)) {
            if (wait_exit(kid, 5s)) continue;
            ADD_FAILURE() << "process " << kid << " was left running by the test";
            if (HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, kid)) {
                terminate(h);
                ::CloseHandle(h);
            }
        }
    }
    recorded.clear();
    launched.clear();
    // Handles of a terminated process close a moment later under Wine.
    for (int i = 0; i < 100; ++i) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        if (!ec) break;
        ::Sleep(20);
    }
}

void WinProcessTest::TearDown() { clean_up(recorded_, launched_, dir_); }

} // namespace wintest
