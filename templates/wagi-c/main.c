// A CGI program: the request arrives as environment variables (and the body on stdin); what it
// prints is the response: headers, a blank line, the body. Build: clang-14 --target=wasm32-wasi.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char *method = getenv("REQUEST_METHOD");
  const char *path = getenv("PATH_INFO");
  printf("Content-Type: text/plain\n\n");
  printf("hello from C: %s %s\n", method ? method : "?", path ? path : "/");
  return 0;
}
