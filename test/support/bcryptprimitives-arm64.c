/*
 * Test-harness stub for arm64 Wine 8.0, which (like the x64 one) has no bcryptprimitives.dll.
 *
 * Bun's windows-aarch64 bun.exe imports one function from it, ProcessPrng. The x64 stub
 * (bcryptprimitives.c) includes <windows.h> from mingw-w64, which Debian ships for x86 only, so this
 * one declares the two imports it needs itself and is built freestanding by .ci/setup-winarm64.sh:
 *   clang-14 --target=aarch64-pc-windows-msvc -ffreestanding -c  +  lld-link /dll /machine:arm64
 * against import libraries made by llvm-dlltool -m arm64 (advapi32, kernel32).
 *
 * Only for running tests under Wine; never shipped.
 */
typedef unsigned char BOOLEAN;
typedef int BOOL;
typedef unsigned int UINT;
typedef unsigned long ULONG; /* 32 bits on Windows (LLP64) */
typedef unsigned long long SIZE_T;

/* advapi32's RtlGenRandom, exported under this name. */
__declspec(dllimport) BOOLEAN SystemFunction036(void *buffer, ULONG length);
__declspec(dllimport) __declspec(noreturn) void ExitProcess(UINT code);

__declspec(dllexport) BOOL ProcessPrng(unsigned char *data, SIZE_T size)
{
    /* RtlGenRandom takes a 32-bit length: hand over large requests in pieces. */
    while (size > 0) {
        ULONG piece = size > 0x40000000u ? 0x40000000u : (ULONG)size;
        /* ProcessPrng is documented never to fail: stop the process rather than return bad bytes. */
        if (!SystemFunction036(data, piece)) ExitProcess(0xC0000001u);
        data += piece;
        size -= piece;
    }
    return 1;
}
