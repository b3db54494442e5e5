/*
 * Test-harness stub for Wine 8.0, which has no bcryptprimitives.dll.
 *
 * bun.exe imports exactly one function from that DLL, ProcessPrng. Without
 * the DLL the loader refuses to start bun.exe (Wine exits with status 53).
 * This stub provides ProcessPrng on top of advapi32's RtlGenRandom, which
 * advapi32 exports under the name SystemFunction036.
 *
 * Built by .ci/setup-emulators.sh and placed next to bun.exe:
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll \
 *       bcryptprimitives.c -ladvapi32
 *
 * Only for running tests under Wine; never shipped.
 */
#include <windows.h>

/* RtlGenRandom is not declared by default; declare the real export. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    /* RtlGenRandom takes a ULONG length, so hand over large requests in pieces. */
    while (size > 0) {
        ULONG piece = size > 0x40000000u ? 0x40000000u : (ULONG)size;
        if (!SystemFunction036(data, piece)) {
            /* ProcessPrng is documented never to fail; abort rather than return bad bytes. */
            ExitProcess(0xC0000001u);
        }
        data += piece;
        size -= piece;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
