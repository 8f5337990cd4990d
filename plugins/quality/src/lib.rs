//! imlage `quality` plugin: image quality tags computed in plain Rust from
//! the pixels the host hands over, exposed through the SMI C ABI
//! (native/include/imlage/smi.h, mirrored by hand in smi.rs; no crates).
//!
//! Tags, every image: "sharp" and "blurry" (variance of the Laplacian of the
//! luminance; sharp = v / (v + blur_threshold), blurry = 1 - sharp), "noisy"
//! (Immerkaer noise sigma s: s^2 / (s^2 + noise_threshold^2)),
//! "overexposed" / "underexposed" (fraction f of clipped pixels:
//! f / (f + clip_fraction)), each 0.5 at its threshold; and one of
//! "portrait", "landscape", "square" with score 1.
//!
//! Every entry point runs inside `catch_unwind`: a panic becomes
//! SMI_ERROR_INTERNAL with its message as the last error and never unwinds
//! into C. The only state is the settings, read-locked during inference,
//! and the last error is per thread, so the plugin is SMI_PLUGIN_THREAD_SAFE.

mod json;
mod metrics;
mod smi;

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::RwLock;

use metrics::{Layout, Luma};
use smi::*;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Config {
    blur_threshold: f64,
    noise_threshold: f64,
    clip_fraction: f64,
    square_tolerance: f64,
}

const DEFAULTS: Config = Config { blur_threshold: 100.0, noise_threshold: 3.0, clip_fraction: 0.05, square_tolerance: 0.02 };

/// The settings, between initialize() and cleanup(). The host runs one
/// instance of a library per process (smi.h, THREADING), so one slot will do;
/// initialize() replaces it, as a re-initialisation after cleanup() must.
static STATE: RwLock<Option<Config>> = RwLock::new(None);

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

type Failure = (smi_status, String);

fn fail<T>(status: smi_status, msg: impl Into<String>) -> Result<T, Failure> {
    Err((status, msg.into()))
}

fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(c));
}

/// Runs an entry point's body: Ok is SMI_OK, Err its status (message kept as
/// the thread's last error), a panic SMI_ERROR_INTERNAL.
fn guard(f: impl FnOnce() -> Result<(), Failure>) -> smi_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => SMI_OK,
        Ok(Err((status, msg))) => {
            set_last_error(&msg);
            status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            // Setting the error must not panic again: ignore a failure.
            let _ = catch_unwind(|| set_last_error(&format!("quality plugin panicked: {what}")));
            SMI_ERROR_INTERNAL
        }
    }
}

fn parse_config(json: &str) -> Result<Config, Failure> {
    let mut c = DEFAULTS;
    let members = json::numbers(json).map_err(|e| (SMI_ERROR_INVALID_ARGUMENT, format!("bad configuration JSON: {e}")))?;
    for (key, v) in members {
        let (slot, min, max) = match key.as_str() {
            "blur_threshold" => (&mut c.blur_threshold, 1e-6, 1e9),
            "noise_threshold" => (&mut c.noise_threshold, 1e-6, 255.0),
            "clip_fraction" => (&mut c.clip_fraction, 1e-6, 1.0),
            "square_tolerance" => (&mut c.square_tolerance, 0.0, 1.0),
            _ => continue, // unknown settings are the host's business
        };
        if !(v >= min && v <= max) {
            return fail(SMI_ERROR_INVALID_ARGUMENT, format!("setting '{key}' is {v}, expected {min} to {max}"));
        }
        *slot = v;
    }
    Ok(c)
}

/// What a result's plugin_data owns; freed by release_results.
struct ResultData {
    tags: Vec<smi_tag>,
    error: Option<CString>,
}

fn tag(label: &'static CStr, score: f32) -> smi_tag {
    smi_tag { label: label.as_ptr(), score: if score.is_finite() { score.clamp(0.0, 1.0) } else { 0.0 } }
}

const SHARP: &CStr = c"sharp";
const BLURRY: &CStr = c"blurry";
const NOISY: &CStr = c"noisy";
const OVEREXPOSED: &CStr = c"overexposed";
const UNDEREXPOSED: &CStr = c"underexposed";
const PORTRAIT: &CStr = c"portrait";
const LANDSCAPE: &CStr = c"landscape";
const SQUARE: &CStr = c"square";

/// The tags of one image.
///
/// # Safety
/// `image` must point at a host smi_image valid for this call.
unsafe fn assess(image: *const smi_image, c: &Config) -> Result<Vec<smi_tag>, Failure> {
    if image.is_null() {
        return fail(SMI_ERROR_INVALID_ARGUMENT, "image is NULL");
    }
    let img = &*image;
    if (img.struct_size as usize) < size_through!(smi_image, tensor_layout) || img.pixels.is_null() {
        return fail(SMI_ERROR_INVALID_ARGUMENT, "image has no pixels or a too small struct_size");
    }
    let layout = match img.pixel_format {
        SMI_PIXEL_RGB8 => Layout { channels: 3, r: 0, g: 1, b: 2 },
        SMI_PIXEL_RGBA8 => Layout { channels: 4, r: 0, g: 1, b: 2 },
        SMI_PIXEL_BGR8 => Layout { channels: 3, r: 2, g: 1, b: 0 },
        SMI_PIXEL_BGRA8 => Layout { channels: 4, r: 2, g: 1, b: 0 },
        SMI_PIXEL_GRAY8 => Layout { channels: 1, r: 0, g: 0, b: 0 },
        SMI_PIXEL_GRAYA8 => Layout { channels: 2, r: 0, g: 0, b: 0 },
        f => return fail(SMI_ERROR_NOT_SUPPORTED, format!("unsupported pixel format {f}")),
    };
    let (w, h) = (img.width as usize, img.height as usize);
    let stride = usize::try_from(img.stride_bytes).unwrap_or(usize::MAX);
    if w == 0 || h == 0 || img.channels as usize != layout.channels || stride < w * layout.channels {
        return fail(SMI_ERROR_INVALID_ARGUMENT, "image size, channels or stride do not match its pixel format");
    }
    let len = (h - 1).checked_mul(stride).and_then(|n| n.checked_add(w * layout.channels));
    let Some(len) = len else {
        return fail(SMI_ERROR_INVALID_ARGUMENT, "image is too large");
    };
    let pixels = std::slice::from_raw_parts(img.pixels, len);

    let luma = Luma::from_pixels(pixels, w, h, stride, layout);
    let sharp = metrics::saturate(metrics::laplacian_variance(&luma), c.blur_threshold);
    let sigma = metrics::noise_sigma(&luma);
    let noisy = metrics::saturate(sigma * sigma, c.noise_threshold * c.noise_threshold);
    let (dark, bright) = metrics::clipped_fractions(&luma);
    let orientation = match metrics::orientation(img.width, img.height, c.square_tolerance) {
        "portrait" => PORTRAIT,
        "landscape" => LANDSCAPE,
        _ => SQUARE,
    };
    Ok(vec![
        tag(SHARP, sharp),
        tag(BLURRY, 1.0 - sharp),
        tag(NOISY, noisy),
        tag(OVEREXPOSED, metrics::saturate(bright, c.clip_fraction)),
        tag(UNDEREXPOSED, metrics::saturate(dark, c.clip_fraction)),
        tag(orientation, 1.0),
    ])
}

fn current_config() -> Result<Config, Failure> {
    let state = STATE.read().unwrap_or_else(|e| e.into_inner());
    match *state {
        Some(c) => Ok(c),
        None => fail(SMI_ERROR_INTERNAL, "the quality plugin is not initialised"),
    }
}

/// Fills one host result; returns its status.
///
/// # Safety
/// `image` and `result` must be host pointers valid for this call.
unsafe fn run_one(image: *const smi_image, result: *mut smi_image_result) -> smi_status {
    if result.is_null() || ((*result).struct_size as usize) < size_through!(smi_image_result, plugin_data) {
        set_last_error("result is NULL or its struct_size is too small");
        return SMI_ERROR_INVALID_ARGUMENT;
    }
    let mut tags = Vec::new();
    let status = guard(|| {
        tags = assess(image, &current_config()?)?;
        Ok(())
    });
    let error = if status == SMI_OK {
        None
    } else {
        LAST_ERROR.with(|e| e.borrow().clone())
    };
    let data = Box::new(ResultData { tags, error });
    let r = &mut *result;
    r.status = status;
    r.tags = if data.tags.is_empty() { ptr::null() } else { data.tags.as_ptr() };
    r.tag_count = data.tags.len() as u64;
    r.error = data.error.as_ref().map_or(ptr::null(), |e| e.as_ptr());
    r.plugin_data = Box::into_raw(data) as *mut c_void;
    status
}

// ---- entry points ------------------------------------------------------------

unsafe extern "C" fn initialize(_ctx: *mut c_void, host: *const smi_host_api, config_json: *const c_char) -> smi_status {
    guard(|| {
        if host.is_null() || config_json.is_null() {
            return fail(SMI_ERROR_INVALID_ARGUMENT, "host or config_json is NULL");
        }
        let json = CStr::from_ptr(config_json)
            .to_str()
            .map_err(|_| (SMI_ERROR_INVALID_ARGUMENT, "config_json is not UTF-8".to_string()))?;
        let config = parse_config(json)?;
        *STATE.write().unwrap_or_else(|e| e.into_inner()) = Some(config);
        Ok(())
    })
}

unsafe extern "C" fn cleanup(_ctx: *mut c_void) {
    let _ = guard(|| {
        *STATE.write().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    });
}

unsafe extern "C" fn inference(
    _ctx: *mut c_void,
    _model_id: *const c_char,
    image: *const smi_image,
    result: *mut smi_image_result,
) -> smi_status {
    // run_one guards the work itself; this catches anything around it.
    match catch_unwind(AssertUnwindSafe(|| run_one(image, result))) {
        Ok(s) => s,
        Err(_) => SMI_ERROR_INTERNAL,
    }
}

unsafe extern "C" fn batch_inference(
    _ctx: *mut c_void,
    _model_id: *const c_char,
    images: *const *const smi_image,
    count: usize,
    results: *const *mut smi_image_result,
) -> smi_status {
    let mut status = SMI_OK;
    let outer = guard(|| {
        if images.is_null() || results.is_null() {
            return fail(SMI_ERROR_INVALID_ARGUMENT, "images or results is NULL");
        }
        let images = std::slice::from_raw_parts(images, count);
        let results = std::slice::from_raw_parts(results, count);
        for (&image, &result) in images.iter().zip(results) {
            // Per-image failures stay in that image's result.
            if run_one(image, result) == SMI_ERROR_INVALID_ARGUMENT && result.is_null() {
                status = SMI_ERROR_INVALID_ARGUMENT;
            }
        }
        Ok(())
    });
    if outer != SMI_OK {
        outer
    } else {
        status
    }
}

unsafe extern "C" fn release_results(_ctx: *mut c_void, results: *const *mut smi_image_result, count: usize) {
    let _ = guard(|| {
        if results.is_null() {
            return Ok(());
        }
        for &r in std::slice::from_raw_parts(results, count) {
            if r.is_null() || (*r).plugin_data.is_null() {
                continue;
            }
            drop(Box::from_raw((*r).plugin_data as *mut ResultData));
            (*r).plugin_data = ptr::null_mut();
            (*r).tags = ptr::null();
            (*r).tag_count = 0;
            (*r).error = ptr::null();
        }
        Ok(())
    });
}

unsafe extern "C" fn plugin_name(_ctx: *mut c_void) -> *const c_char {
    c"quality".as_ptr()
}

unsafe extern "C" fn plugin_version(_ctx: *mut c_void) -> *const c_char {
    c"1.0.0".as_ptr()
}

unsafe extern "C" fn supported_frameworks(_ctx: *mut c_void) -> *const c_char {
    c"none".as_ptr()
}

unsafe extern "C" fn smi_version(_ctx: *mut c_void, major: *mut u32, minor: *mut u32) {
    if !major.is_null() {
        *major = SMI_VERSION_MAJOR;
    }
    if !minor.is_null() {
        *minor = SMI_VERSION_MINOR;
    }
}

unsafe extern "C" fn last_error(_ctx: *mut c_void) -> *const c_char {
    // The CString lives in the thread-local until the next error on this thread.
    catch_unwind(|| LAST_ERROR.with(|e| e.borrow().as_ref().map_or(ptr::null(), |c| c.as_ptr())))
        .unwrap_or(ptr::null())
}

// ---- descriptor ----------------------------------------------------------------

/// The tables hold raw pointers, which are not Sync; they are immutable and
/// point at static data only, so sharing them between threads is sound.
#[repr(transparent)]
struct Static<T>(T);
unsafe impl<T> Sync for Static<T> {}

static INTERFACE: Static<smi_plugin_interface> = Static(smi_plugin_interface {
    struct_size: std::mem::size_of::<smi_plugin_interface>() as u32,
    reserved0: 0,
    initialize: Some(initialize),
    cleanup: Some(cleanup),
    register_model: None, // the model needs no files or registration
    unregister_model: None,
    load_model: None,
    unload_model: None,
    inference: Some(inference),
    batch_inference: Some(batch_inference),
    allocate_resources: None,
    deallocate_resources: None,
    get_model_info: None,
    get_plugin_name: Some(plugin_name),
    get_plugin_version: Some(plugin_version),
    get_supported_frameworks: Some(supported_frameworks),
    get_smi_version: Some(smi_version),
    get_last_error: Some(last_error),
    release_results: Some(release_results),
});

static DESCRIPTOR: Static<smi_plugin_descriptor> = Static(smi_plugin_descriptor {
    struct_size: std::mem::size_of::<smi_plugin_descriptor>() as u32,
    smi_version_major: SMI_VERSION_MAJOR,
    smi_version_minor: SMI_VERSION_MINOR,
    flags: SMI_PLUGIN_THREAD_SAFE,
    plugin_id: c"quality".as_ptr(),
    iface: &INTERFACE.0,
    plugin_ctx: ptr::null_mut(),
});

/// The one exported symbol (SMI_PLUGIN_INIT_SYMBOL).
#[no_mangle]
pub extern "C" fn smi_plugin_init() -> *const smi_plugin_descriptor {
    catch_unwind(|| &DESCRIPTOR.0 as *const smi_plugin_descriptor).unwrap_or(ptr::null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message() {
        let s = guard(|| panic!("boom"));
        assert_eq!(s, SMI_ERROR_INTERNAL);
        let msg = unsafe { CStr::from_ptr(last_error(ptr::null_mut())) }.to_str().unwrap().to_string();
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(parse_config("{}").unwrap(), DEFAULTS);
        assert_eq!(parse_config(r#"{"blur_threshold": 50}"#).unwrap().blur_threshold, 50.0);
        assert_eq!(parse_config(r#"{"clip_fraction": 2}"#).unwrap_err().0, SMI_ERROR_INVALID_ARGUMENT);
        assert!(parse_config("{").is_err());
    }

    #[test]
    fn descriptor_is_v1() {
        let d = unsafe { &*smi_plugin_init() };
        assert_eq!((d.smi_version_major, d.smi_version_minor), (1, 0));
        assert_eq!(unsafe { CStr::from_ptr(d.plugin_id) }.to_str().unwrap(), "quality");
    }
}
