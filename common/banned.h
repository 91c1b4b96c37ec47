/*
 * banned — functions freshet must not call (after git's banned.h): unbounded copies
 * and non-reentrant tokenizers. Including this turns a use into a compile error.
 */
#ifndef FR_BANNED_H
#define FR_BANNED_H

#define FR_BANNED(func) sorry_##func##_is_banned_in_freshet

#undef strcpy
#define strcpy(x, y) FR_BANNED(strcpy)
#undef strcat
#define strcat(x, y) FR_BANNED(strcat)
#undef sprintf
#define sprintf(...) FR_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) FR_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) FR_BANNED(strtok)
#undef gets
#define gets(x) FR_BANNED(gets)

#endif
