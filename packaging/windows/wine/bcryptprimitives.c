/*
 * A stand-in bcryptprimitives.dll for running Peel's Windows build under Wine 8, for the Windows
 * smoke suite only (scripts/windows-smoke). It is never shipped in the installer: real Windows
 * (10 and later) has the real DLL.
 *
 * Why it exists: Rust's standard library on Windows (since Rust 1.78) gets its random bytes from
 * ProcessPrng in bcryptprimitives.dll, which every Rust program imports at start-up (HashMap
 * keys, for one). Wine 8.0, the Wine in Debian 12, has no bcryptprimitives.dll, so a Rust
 * program does not even start there. This stub provides ProcessPrng by calling
 * SystemFunction036 (RtlGenRandom, in advapi32), which Wine 8 has.
 *
 * When to remove it: once CI runs Wine 9 or later (Wine added its own bcryptprimitives.dll with
 * ProcessPrng in 8.13, so 9.0 is the first stable release that has it; Debian 13 ships Wine 10).
 * Then delete this folder and the step of scripts/windows-smoke that builds and installs it.
 *
 * Built by scripts/windows-smoke:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom: fills buffer with length random bytes; TRUE on success. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng as Windows declares it: fills data with len random bytes; always TRUE there. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
