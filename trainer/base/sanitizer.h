/* sanitizer.h - DM_ASAN and DM_TSAN: this build runs under AddressSanitizer
 * or ThreadSanitizer.  gcc defines __SANITIZE_ADDRESS__ and
 * __SANITIZE_THREAD__; clang 14 defines neither and answers __has_feature. */
#ifndef DM_SANITIZER_H
#define DM_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define DM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DM_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define DM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DM_TSAN 1
#endif
#endif

#endif
