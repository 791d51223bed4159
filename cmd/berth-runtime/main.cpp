#include <cstdio>
int main() { std::puts("berth-runtime version " BERTH_VERSION); }
