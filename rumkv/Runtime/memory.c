// The C memory primitives that the embedded Swift stdlib and LLVM's code generator may call; there is
// no libc on metal. Byte loops: Rumkv copies little (ELF segments once at boot), and byte accesses
// never fault on alignment with the MMU off. Compiled with -ffreestanding -fno-builtin so these loops
// are not turned back into calls to themselves.
#include <stddef.h>

void *memset(void *dst, int value, size_t count) {
  unsigned char *d = dst;
  while (count--) *d++ = (unsigned char)value;
  return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t count) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (count--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t count) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d <= s || d >= s + count) {
    while (count--) *d++ = *s++;
  } else {
    while (count--) d[count] = s[count];
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t count) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < count; i++)
    if (x[i] != y[i]) return x[i] - y[i];
  return 0;
}
