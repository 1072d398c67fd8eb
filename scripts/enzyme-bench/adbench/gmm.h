// Stand-in for Enzyme's benchmarks/*/adbench/<prog>.h (scripts/enzyme-bench): that header holds
// the ADBench harness (json.hpp, data files, Tapenade/Adept/Rust declarations, main); here only
// the includes and types the program's Enzyme part uses. The driver is driver.c.
#pragma once
#include <algorithm>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
#include "../mshared/defs.h"
using namespace std;
