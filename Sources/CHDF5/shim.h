// libhdf5's C API (Debian's serial build), which DLExport writes a Keras weights file with. Its
// type, property-list and flag identifiers are macros over library globals (or casts) that Swift
// cannot import; these functions read them.
#include <hdf5.h>

static inline unsigned dl_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t dl_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t dl_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t dl_h5s_all(void) { return H5S_ALL; }
static inline hid_t dl_h5e_default(void) { return H5E_DEFAULT; }
static inline size_t dl_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t dl_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t dl_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t dl_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t dl_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t dl_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
