// OpenFace's PDM text format (pdm_text.h).
#include "landmarks/pdm_text.h"

#include "core/text_matrix.h"

namespace facemirror::detail {

pdm_matrices read_pdm_text(const std::filesystem::path& file) {
  text_matrix_reader reader(file, "PDM");

  pdm_matrices pdm;
  pdm.mean = reader.next("mean shape");
  pdm.components = reader.next("principal components");
  pdm.eigenvalues = reader.next("eigenvalues");
  if (pdm.eigenvalues.cols == 1)
    pdm.eigenvalues = pdm.eigenvalues.t();
  if (pdm.mean.cols != 1 || pdm.mean.rows % 3 != 0)
    reader.fail("mean shape must be 3n x 1");
  if (pdm.components.rows != pdm.mean.rows)
    reader.fail("principal components row count mismatch");
  if (pdm.eigenvalues.rows != 1 || pdm.eigenvalues.cols != pdm.components.cols)
    reader.fail("eigenvalue count does not match the principal components");
  for (int k = 0; k < pdm.eigenvalues.cols; ++k)
    if (!(pdm.eigenvalues(0, k) > 0))
      reader.fail("eigenvalues must be positive");
  return pdm;
}

}  // namespace facemirror::detail
