// libxcrypt (Debian's libcrypt1, brought in by libc6-dev): bcrypt hashes of web config users.
#include <crypt.h>
