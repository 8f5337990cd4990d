//! Hand-written `#[repr(C)]` mirrors of the parts of
//! `native/include/imlage/smi.h` (SMI 1.0) this plugin uses. Field order,
//! types and sizes follow the header exactly; `tests` at the bottom pin the
//! sizes and offsets on 64-bit targets (`cargo test`). Function pointers are
//! `Option<unsafe extern "C" fn ...>` so that a NULL entry is `None`.
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_void};

pub const SMI_VERSION_MAJOR: u32 = 1;
pub const SMI_VERSION_MINOR: u32 = 0;

/// `smi_status` (a 32-bit enum in C).
pub type smi_status = i32;
pub const SMI_OK: smi_status = 0;
pub const SMI_ERROR: smi_status = 1;
pub const SMI_ERROR_INVALID_ARGUMENT: smi_status = 2;
pub const SMI_ERROR_NOT_FOUND: smi_status = 3;
pub const SMI_ERROR_NOT_SUPPORTED: smi_status = 4;
pub const SMI_ERROR_OUT_OF_MEMORY: smi_status = 5;
pub const SMI_ERROR_BUFFER_TOO_SMALL: smi_status = 6;
pub const SMI_ERROR_INTERNAL: smi_status = 10;

pub const SMI_PLUGIN_THREAD_SAFE: u32 = 0x1;

// smi_pixel_format
pub const SMI_PIXEL_RGB8: i32 = 1;
pub const SMI_PIXEL_RGBA8: i32 = 2;
pub const SMI_PIXEL_GRAY8: i32 = 3;
pub const SMI_PIXEL_GRAYA8: i32 = 4;
pub const SMI_PIXEL_BGR8: i32 = 5;
pub const SMI_PIXEL_BGRA8: i32 = 6;

pub const SMI_MAX_LABEL_BYTES: usize = 1024;

#[repr(C)]
pub struct smi_image {
    pub struct_size: u32,
    pub pixel_format: i32,
    pub pixels: *const u8,
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub reserved0: u32,
    pub stride_bytes: u64,
    pub tensor: *const f32,
    pub tensor_shape: *const i64,
    pub tensor_strides: *const i64,
    pub tensor_rank: u32,
    pub tensor_layout: i32,
}

#[repr(C)]
pub struct smi_model_desc {
    pub struct_size: u32,
    pub file_count: u32,
    pub model_id: *const c_char,
    pub files: *const *const c_char,
    pub config_json: *const c_char,
}

/// Frozen array element: no struct_size.
#[repr(C)]
pub struct smi_tag {
    pub label: *const c_char,
    pub score: f32,
}

#[repr(C)]
pub struct smi_tensor {
    pub struct_size: u32,
    pub dtype: i32,
    pub name: *const c_char,
    pub data: *mut c_void,
    pub shape: *const i64,
    pub rank: u32,
    pub reserved0: u32,
    pub byte_size: u64,
}

#[repr(C)]
pub struct smi_image_result {
    pub struct_size: u32,
    pub status: i32,
    pub tags: *const smi_tag,
    pub tag_count: u64,
    pub outputs: *const *const smi_tensor,
    pub output_count: u64,
    pub error: *const c_char,
    pub plugin_data: *mut c_void,
}

/// Opaque host types this plugin never dereferences.
#[repr(C)]
pub struct smi_session {
    _private: [u8; 0],
}
#[repr(C)]
pub struct smi_tensor_info {
    _private: [u8; 0],
}
#[repr(C)]
pub struct smi_tensor_list {
    _private: [u8; 0],
}

#[repr(C)]
pub struct smi_host_api {
    pub struct_size: u32,
    pub smi_version_major: u32,
    pub smi_version_minor: u32,
    pub reserved0: u32,
    pub host_ctx: *mut c_void,
    pub log: Option<unsafe extern "C" fn(*mut c_void, i32, *const c_char)>,
    pub alloc: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    pub free: Option<unsafe extern "C" fn(*mut c_void, *mut c_void)>,
    pub should_abort: Option<unsafe extern "C" fn(*mut c_void) -> i32>,
    pub get_last_error: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    pub session_create:
        Option<unsafe extern "C" fn(*mut c_void, *const c_char, *mut *mut smi_session) -> smi_status>,
    pub session_input_count:
        Option<unsafe extern "C" fn(*mut c_void, *const smi_session, *mut usize) -> smi_status>,
    pub session_output_count:
        Option<unsafe extern "C" fn(*mut c_void, *const smi_session, *mut usize) -> smi_status>,
    pub session_input_info: Option<
        unsafe extern "C" fn(*mut c_void, *const smi_session, usize, *mut smi_tensor_info) -> smi_status,
    >,
    pub session_output_info: Option<
        unsafe extern "C" fn(*mut c_void, *const smi_session, usize, *mut smi_tensor_info) -> smi_status,
    >,
    pub session_run: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const smi_session,
            *const *const smi_tensor,
            usize,
            *const *const c_char,
            usize,
            *mut *mut smi_tensor_list,
        ) -> smi_status,
    >,
    pub tensors_release: Option<unsafe extern "C" fn(*mut c_void, *mut smi_tensor_list)>,
    pub session_release: Option<unsafe extern "C" fn(*mut c_void, *mut smi_session)>,
}

pub type CtxFn<R> = Option<unsafe extern "C" fn(*mut c_void) -> R>;
pub type IdFn = Option<unsafe extern "C" fn(*mut c_void, *const c_char) -> smi_status>;

#[repr(C)]
pub struct smi_plugin_interface {
    pub struct_size: u32,
    pub reserved0: u32,
    pub initialize:
        Option<unsafe extern "C" fn(*mut c_void, *const smi_host_api, *const c_char) -> smi_status>,
    pub cleanup: Option<unsafe extern "C" fn(*mut c_void)>,
    pub register_model: Option<unsafe extern "C" fn(*mut c_void, *const smi_model_desc) -> smi_status>,
    pub unregister_model: IdFn,
    pub load_model: IdFn,
    pub unload_model: IdFn,
    pub inference: Option<
        unsafe extern "C" fn(*mut c_void, *const c_char, *const smi_image, *mut smi_image_result) -> smi_status,
    >,
    pub batch_inference: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const c_char,
            *const *const smi_image,
            usize,
            *const *mut smi_image_result,
        ) -> smi_status,
    >,
    pub allocate_resources: IdFn,
    pub deallocate_resources: IdFn,
    pub get_model_info: Option<
        unsafe extern "C" fn(*mut c_void, *const c_char, *mut c_char, usize, *mut usize) -> smi_status,
    >,
    pub get_plugin_name: CtxFn<*const c_char>,
    pub get_plugin_version: CtxFn<*const c_char>,
    pub get_supported_frameworks: CtxFn<*const c_char>,
    pub get_smi_version: Option<unsafe extern "C" fn(*mut c_void, *mut u32, *mut u32)>,
    pub get_last_error: CtxFn<*const c_char>,
    pub release_results: Option<unsafe extern "C" fn(*mut c_void, *const *mut smi_image_result, usize)>,
}

#[repr(C)]
pub struct smi_plugin_descriptor {
    pub struct_size: u32,
    pub smi_version_major: u32,
    pub smi_version_minor: u32,
    pub flags: u32,
    pub plugin_id: *const c_char,
    pub iface: *const smi_plugin_interface,
    pub plugin_ctx: *mut c_void,
}

/// Size of a struct up to and including a member (SMI_SIZE_THROUGH).
macro_rules! size_through {
    ($t:ty, $m:ident) => {{
        let u = std::mem::MaybeUninit::<$t>::uninit();
        let base = u.as_ptr();
        // SAFETY: only the address of the field is taken, never read.
        let field = unsafe { std::ptr::addr_of!((*base).$m) };
        fn size_of_pointee<T>(_: *const T) -> usize {
            std::mem::size_of::<T>()
        }
        (field as usize - base as usize) + size_of_pointee(field)
    }};
}
pub(crate) use size_through;

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use std::mem::size_of;

    // The sizes smi.h gives these structs on LP64 targets.
    #[test]
    fn layouts_match_the_header() {
        assert_eq!(size_of::<smi_image>(), 72);
        assert_eq!(size_through!(smi_image, tensor_layout), 72);
        assert_eq!(size_of::<smi_model_desc>(), 32);
        assert_eq!(size_of::<smi_tag>(), 16);
        assert_eq!(size_of::<smi_tensor>(), 48);
        assert_eq!(size_of::<smi_image_result>(), 56);
        assert_eq!(size_of::<smi_host_api>(), 128);
        assert_eq!(size_of::<smi_plugin_interface>(), 144);
        assert_eq!(size_of::<smi_plugin_descriptor>(), 40);
        // Offsets printed by a C program compiled against smi.h.
        assert_eq!(std::mem::offset_of!(smi_image, stride_bytes), 32);
        assert_eq!(std::mem::offset_of!(smi_image, tensor_layout), 68);
        assert_eq!(std::mem::offset_of!(smi_image_result, plugin_data), 48);
        assert_eq!(std::mem::offset_of!(smi_plugin_interface, release_results), 136);
        assert_eq!(std::mem::offset_of!(smi_host_api, session_run), 104);
    }
}
