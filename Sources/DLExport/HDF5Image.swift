// An HDF5 file built in memory through libhdf5 (its "core" driver, with no backing file) and
// handed back as bytes: the groups, float32 and int64 datasets and string attributes a Keras
// weights file holds, and nothing else.

import CHDF5

final class HDF5Image {
    private let file: hid_t
    private var closed = false

    init() throws(ExportError) {
        // libhdf5 prints its error stack on standard error by default; the error thrown says enough.
        H5Eset_auto2(dl_h5e_default(), nil, nil)
        let access = H5Pcreate(dl_h5p_file_access())
        defer { H5Pclose(access) }
        guard access >= 0, H5Pset_fapl_core(access, 1 << 16, false) >= 0 else { throw .hdf5("cannot set up an in-memory file") }
        file = H5Fcreate("model.weights.h5", dl_h5f_acc_trunc(), dl_h5p_default(), access)
        guard file >= 0 else { throw .hdf5("cannot create an in-memory file") }
    }

    deinit {
        if !closed { H5Fclose(file) }
    }

    /// Creates the group at `path` (absolute, its parent made first), with `name` as a `name`
    /// attribute when given.
    func group(_ path: String, name: String? = nil) throws(ExportError) {
        let group = H5Gcreate2(file, path, dl_h5p_default(), dl_h5p_default(), dl_h5p_default())
        guard group >= 0 else { throw .hdf5("cannot create the group \(path)") }
        defer { H5Gclose(group) }
        if let name { try stringAttribute(on: group, path: path, key: "name", value: name) }
    }

    /// A float32 dataset of `shape` (row-major; [] for a scalar).
    func dataset(_ path: String, shape: [Int], values: [Float]) throws(ExportError) {
        precondition(values.count == shape.reduce(1, *))
        try dataset(path, shape: shape, fileType: dl_h5t_ieee_f32le(), memoryType: dl_h5t_native_float(), values: values)
    }

    /// An int64 dataset of `shape`.
    func dataset(_ path: String, shape: [Int], values: [Int64]) throws(ExportError) {
        precondition(values.count == shape.reduce(1, *))
        try dataset(path, shape: shape, fileType: dl_h5t_std_i64le(), memoryType: dl_h5t_native_int64(), values: values)
    }

    /// The whole file, after which nothing more can be added.
    func bytes() throws(ExportError) -> [UInt8] {
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw .hdf5("cannot flush the file") }
        let size = H5Fget_file_image(file, nil, 0)
        guard size > 0 else { throw .hdf5("cannot read the file's image") }
        var image = [UInt8](repeating: 0, count: size)
        let copied = image.withUnsafeMutableBytes { H5Fget_file_image(file, $0.baseAddress, size) }
        guard copied == size else { throw .hdf5("cannot read the file's image") }
        H5Fclose(file)
        closed = true
        return image
    }

    private func dataset<Value>(
        _ path: String, shape: [Int], fileType: hid_t, memoryType: hid_t, values: [Value]
    ) throws(ExportError) {
        let dimensions = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dimensions, nil)
        guard space >= 0 else { throw .hdf5("cannot describe the shape \(shape) of \(path)") }
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(file, path, fileType, space, dl_h5p_default(), dl_h5p_default(), dl_h5p_default())
        guard dataset >= 0 else { throw .hdf5("cannot create the dataset \(path)") }
        defer { H5Dclose(dataset) }
        let status = values.withUnsafeBytes {
            H5Dwrite(dataset, memoryType, dl_h5s_all(), dl_h5s_all(), dl_h5p_default(), $0.baseAddress)
        }
        guard status >= 0 else { throw .hdf5("cannot write the dataset \(path)") }
    }

    /// A variable-length UTF-8 string attribute, as h5py writes a Python str.
    private func stringAttribute(on object: hid_t, path: String, key: String, value: String) throws(ExportError) {
        let type = H5Tcopy(dl_h5t_c_s1())
        defer { H5Tclose(type) }
        guard type >= 0, H5Tset_size(type, dl_h5t_variable()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            throw .hdf5("cannot make a string type")
        }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(object, key, type, space, dl_h5p_default(), dl_h5p_default())
        guard attribute >= 0 else { throw .hdf5("cannot create the attribute \(key) of \(path)") }
        defer { H5Aclose(attribute) }
        let status = value.withCString { text in
            withUnsafePointer(to: text) { H5Awrite(attribute, type, $0) }
        }
        guard status >= 0 else { throw .hdf5("cannot write the attribute \(key) of \(path)") }
    }
}
