// Locks the shipped SMI 1.x layout: a plugin compiled against an older
// smi.h must keep working, so these offsets and sizes may never change
// (members are only appended). Compiled into the addon; fails the build if
// anyone reorders or resizes a member. Checked for LP64/LLP64 64-bit targets.
#include <cstddef>

#include "imlage/smi.h"

#define SMI_LOCK(type, member, offset) \
  static_assert(offsetof(type, member) == (offset), #type "." #member " moved: SMI 1.0 layout is frozen")

static_assert(SMI_VERSION_MAJOR == 1, "a new major version needs a new layout lock");
static_assert(sizeof(smi_status) == 4, "smi_status must be 32 bits");

#if UINTPTR_MAX == 0xffffffffffffffffu
SMI_LOCK(smi_plugin_descriptor, struct_size, 0);
SMI_LOCK(smi_plugin_descriptor, smi_version_major, 4);
SMI_LOCK(smi_plugin_descriptor, smi_version_minor, 8);
SMI_LOCK(smi_plugin_descriptor, flags, 12);
SMI_LOCK(smi_plugin_descriptor, plugin_id, 16);
SMI_LOCK(smi_plugin_descriptor, iface, 24);
SMI_LOCK(smi_plugin_descriptor, plugin_ctx, 32);
static_assert(SMI_PLUGIN_DESCRIPTOR_V1_0_SIZE == 40, "descriptor v1.0 size");

SMI_LOCK(smi_plugin_interface, struct_size, 0);
SMI_LOCK(smi_plugin_interface, initialize, 8);
SMI_LOCK(smi_plugin_interface, cleanup, 16);
SMI_LOCK(smi_plugin_interface, register_model, 24);
SMI_LOCK(smi_plugin_interface, unregister_model, 32);
SMI_LOCK(smi_plugin_interface, load_model, 40);
SMI_LOCK(smi_plugin_interface, unload_model, 48);
SMI_LOCK(smi_plugin_interface, inference, 56);
SMI_LOCK(smi_plugin_interface, batch_inference, 64);
SMI_LOCK(smi_plugin_interface, allocate_resources, 72);
SMI_LOCK(smi_plugin_interface, deallocate_resources, 80);
SMI_LOCK(smi_plugin_interface, get_model_info, 88);
SMI_LOCK(smi_plugin_interface, get_plugin_name, 96);
SMI_LOCK(smi_plugin_interface, get_plugin_version, 104);
SMI_LOCK(smi_plugin_interface, get_supported_frameworks, 112);
SMI_LOCK(smi_plugin_interface, get_smi_version, 120);
SMI_LOCK(smi_plugin_interface, get_last_error, 128);
SMI_LOCK(smi_plugin_interface, release_results, 136);
static_assert(SMI_PLUGIN_INTERFACE_V1_0_SIZE == 144, "interface v1.0 size");

SMI_LOCK(smi_host_api, struct_size, 0);
SMI_LOCK(smi_host_api, smi_version_major, 4);
SMI_LOCK(smi_host_api, smi_version_minor, 8);
SMI_LOCK(smi_host_api, host_ctx, 16);
SMI_LOCK(smi_host_api, log, 24);
SMI_LOCK(smi_host_api, alloc, 32);
SMI_LOCK(smi_host_api, free, 40);
SMI_LOCK(smi_host_api, should_abort, 48);
SMI_LOCK(smi_host_api, get_last_error, 56);
SMI_LOCK(smi_host_api, session_create, 64);
SMI_LOCK(smi_host_api, session_input_count, 72);
SMI_LOCK(smi_host_api, session_output_count, 80);
SMI_LOCK(smi_host_api, session_input_info, 88);
SMI_LOCK(smi_host_api, session_output_info, 96);
SMI_LOCK(smi_host_api, session_run, 104);
SMI_LOCK(smi_host_api, tensors_release, 112);
SMI_LOCK(smi_host_api, session_release, 120);
static_assert(SMI_HOST_API_V1_0_SIZE == 128, "host api v1.0 size");
SMI_LOCK(smi_host_api, set_error, 128);
static_assert(SMI_HOST_API_V1_1_SIZE == 136, "host api v1.1 size");

SMI_LOCK(smi_image, struct_size, 0);
SMI_LOCK(smi_image, pixel_format, 4);
SMI_LOCK(smi_image, pixels, 8);
SMI_LOCK(smi_image, width, 16);
SMI_LOCK(smi_image, height, 20);
SMI_LOCK(smi_image, channels, 24);
SMI_LOCK(smi_image, stride_bytes, 32);
SMI_LOCK(smi_image, tensor, 40);
SMI_LOCK(smi_image, tensor_shape, 48);
SMI_LOCK(smi_image, tensor_strides, 56);
SMI_LOCK(smi_image, tensor_rank, 64);
SMI_LOCK(smi_image, tensor_layout, 68);
static_assert(SMI_IMAGE_V1_0_SIZE == 72, "image v1.0 size");
SMI_LOCK(smi_image, original_width, 72);
SMI_LOCK(smi_image, original_height, 76);
static_assert(SMI_IMAGE_V1_1_SIZE == 80, "image v1.1 size");

SMI_LOCK(smi_tag, label, 0);
SMI_LOCK(smi_tag, score, 8);
static_assert(sizeof(smi_tag) == 16, "smi_tag is an array element and frozen");

SMI_LOCK(smi_image_result, struct_size, 0);
SMI_LOCK(smi_image_result, status, 4);
SMI_LOCK(smi_image_result, tags, 8);
SMI_LOCK(smi_image_result, tag_count, 16);
SMI_LOCK(smi_image_result, outputs, 24);
SMI_LOCK(smi_image_result, output_count, 32);
SMI_LOCK(smi_image_result, error, 40);
SMI_LOCK(smi_image_result, plugin_data, 48);
static_assert(SMI_IMAGE_RESULT_V1_0_SIZE == 56, "image result v1.0 size");
SMI_LOCK(smi_image_result, regions, 56);
SMI_LOCK(smi_image_result, region_count, 64);
static_assert(SMI_IMAGE_RESULT_V1_2_SIZE == 72, "image result v1.2 size");

SMI_LOCK(smi_region, struct_size, 0);
SMI_LOCK(smi_region, confidence, 4);
SMI_LOCK(smi_region, label, 8);
SMI_LOCK(smi_region, x, 16);
SMI_LOCK(smi_region, y, 20);
SMI_LOCK(smi_region, width, 24);
SMI_LOCK(smi_region, height, 28);
static_assert(SMI_REGION_V1_2_SIZE == 32, "region v1.2 size");

SMI_LOCK(smi_tensor, struct_size, 0);
SMI_LOCK(smi_tensor, dtype, 4);
SMI_LOCK(smi_tensor, name, 8);
SMI_LOCK(smi_tensor, data, 16);
SMI_LOCK(smi_tensor, shape, 24);
SMI_LOCK(smi_tensor, rank, 32);
SMI_LOCK(smi_tensor, byte_size, 40);
static_assert(SMI_TENSOR_V1_0_SIZE == 48, "tensor v1.0 size");

SMI_LOCK(smi_tensor_info, dtype, 4);
SMI_LOCK(smi_tensor_info, name, 8);
SMI_LOCK(smi_tensor_info, shape, 16);
SMI_LOCK(smi_tensor_info, rank, 24);
static_assert(SMI_TENSOR_INFO_V1_0_SIZE == 32, "tensor info v1.0 size");

SMI_LOCK(smi_tensor_list, count, 4);
SMI_LOCK(smi_tensor_list, tensors, 8);
static_assert(SMI_TENSOR_LIST_V1_0_SIZE == 16, "tensor list v1.0 size");

SMI_LOCK(smi_model_desc, file_count, 4);
SMI_LOCK(smi_model_desc, model_id, 8);
SMI_LOCK(smi_model_desc, files, 16);
SMI_LOCK(smi_model_desc, config_json, 24);
static_assert(SMI_MODEL_DESC_V1_0_SIZE == 32, "model desc v1.0 size");
#endif
