{-# LANGUAGE OverloadedStrings #-}

-- | Standard exception names (ABI.md section 7.1): the shared name of an error number, of an
-- 'IOException' and of an 'ArithException', the record of an 'IOException' (with its @errno@
-- and @filename@ attributes), and the Haskell exception a foreign record stands for.
--
-- Layer: exception records. Imports "Virgil.Exception.Record" and the wire codec.
module Virgil.Exception.Standard
  ( errnoName
  , ioExceptionName
  , arithExceptionName
  , foreignException
  , ioRecord
  ) where

import Control.Exception (ArithException (..), Exception (..), SomeException)
import Data.Maybe (fromMaybe)
import Data.Text (Text)
import qualified Data.Text as T
import Foreign.C.Error (Errno (..), errnoToIOError)
import Foreign.C.Types (CInt)
import GHC.IO.Exception (IOErrorType (..), IOException (..))
import Virgil.Exception.Record
import Virgil.Msgpack (Value (..))

-- | The name of an error number (Linux numbering): @errnoName 2 == "FileNotFoundError"@, and
-- @OSError@ for a number without a name of its own.
errnoName :: Int -> Text
errnoName n = fromMaybe "OSError" (specificErrnoName n)

specificErrnoName :: Int -> Maybe Text
specificErrnoName n = lookup n table
  where
    table =
      [ (2, "FileNotFoundError")
      , (17, "FileExistsError")
      , (13, "PermissionError")
      , (1, "PermissionError")
      , (21, "IsADirectoryError")
      , (20, "NotADirectoryError")
      , (110, "TimeoutError")
      , (4, "InterruptedError")
      , (11, "BlockingIOError")
      , (114, "BlockingIOError")
      , (115, "BlockingIOError")
      , (32, "BrokenPipeError")
      , (108, "BrokenPipeError")
      , (111, "ConnectionRefusedError")
      , (104, "ConnectionResetError")
      , (103, "ConnectionAbortedError")
      , (10, "ChildProcessError")
      , (3, "ProcessLookupError")
      ]

-- | The shared name of an 'IOException': @Exception@ for 'userError'; else the name of its
-- errno when that has one of its own; else by its type (@NoSuchThing@ is
-- @FileNotFoundError@, @AlreadyExists@ @FileExistsError@, @PermissionDenied@
-- @PermissionError@, @InappropriateType@ "is a directory" @IsADirectoryError@, @EOF@
-- @EOFError@, @UnsupportedOperation@ @NotImplementedError@, @TimeExpired@ @TimeoutError@);
-- else @OSError@.
ioExceptionName :: IOException -> Text
ioExceptionName e
  | ioe_type e == UserError = "Exception"
  | Just n <- ioErrno e, Just name <- specificErrnoName n = name
  | otherwise = case ioe_type e of
      NoSuchThing -> "FileNotFoundError"
      AlreadyExists -> "FileExistsError"
      PermissionDenied -> "PermissionError"
      InappropriateType | isDirectoryError e -> "IsADirectoryError"
      EOF -> "EOFError"
      UnsupportedOperation -> "NotImplementedError"
      TimeExpired -> "TimeoutError"
      _ -> "OSError"

ioErrno :: IOException -> Maybe Int
ioErrno = fmap fromIntegral . ioe_errno

isDirectoryError :: IOException -> Bool
isDirectoryError e =
  ioErrno e == Just 21
    || (ioe_type e == InappropriateType && T.toLower (T.pack (ioe_description e)) == "is a directory")

-- | The errno an 'IOException' carries, or the one its type implies when GHC left it out
-- (@openFile@ of a directory has none): ENOENT for @NoSuchThing@, EEXIST for @AlreadyExists@,
-- EACCES for @PermissionDenied@, EISDIR for a directory.
ioEffectiveErrno :: IOException -> Maybe Int
ioEffectiveErrno e = case ioErrno e of
  Just n -> Just n
  Nothing -> case ioe_type e of
    NoSuchThing -> Just 2
    AlreadyExists -> Just 17
    PermissionDenied -> Just 13
    InappropriateType | isDirectoryError e -> Just 21
    _ -> Nothing

ioRecord :: IOException -> ExceptionRecord
ioRecord e
  | ioe_type e == UserError = exceptionRecord "Exception" (T.pack (ioe_description e))
  | otherwise =
      (exceptionRecord (ioExceptionName e) (T.pack (displayException e)))
        { excAttributes =
            [("errno", Int (toInteger n)) | Just n <- [ioEffectiveErrno e]]
              ++ [("filename", Str (T.pack f)) | Just f <- [ioe_filename e]]
        }

-- | The shared name of an 'ArithException': @Overflow@ is @OverflowError@, @DivideByZero@
-- and @RatioZeroDenominator@ @ZeroDivisionError@, the others @ArithmeticError@.
arithExceptionName :: ArithException -> Text
arithExceptionName e = case e of
  Overflow -> "OverflowError"
  DivideByZero -> "ZeroDivisionError"
  RatioZeroDenominator -> "ZeroDivisionError"
  _ -> "ArithmeticError"

-- | The Haskell exception a record stands for, read back by the table of ABI.md section 7.1,
-- so that a Haskell handler catches a foreign failure as its own: @FileNotFoundError@ is an
-- 'IOException' for which 'System.IO.Error.isDoesNotExistError' holds (with the record's
-- @errno@, @filename@ and message), @FileExistsError@ @isAlreadyExistsError@,
-- @PermissionError@ @isPermissionError@, @IsADirectoryError@ an @InappropriateType@ "is a
-- directory", @EOFError@ @isEOFError@, @TimeoutError@ a @TimeExpired@, @NotImplementedError@
-- an @UnsupportedOperation@, @OSError@ and the other names of the errno table an
-- 'IOException' of the record's errno, @Exception@ a 'userError', @OverflowError@ 'Overflow',
-- @ZeroDivisionError@ 'DivideByZero'. Any other record is itself (an 'ExceptionRecord'). The
-- standard exception keeps the record's message and attributes, not its frames and causes.
foreignException :: ExceptionRecord -> SomeException
foreignException r = case excName r of
  "FileNotFoundError" -> io NoSuchThing
  "FileExistsError" -> io AlreadyExists
  "PermissionError" -> io PermissionDenied
  "IsADirectoryError" -> ioWith InappropriateType (Just (fromMaybe 21 errno))
  "EOFError" -> io EOF
  "TimeoutError" -> io TimeExpired
  "NotImplementedError" -> io UnsupportedOperation
  "Exception" -> toException (userError (T.unpack (excMessage r)))
  "OverflowError" -> toException Overflow
  "ZeroDivisionError" -> toException DivideByZero
  name
    | name == "OSError" || name `elem` errnoNames -> io (maybe OtherError errnoType errno)
    | otherwise -> toException r
  where
    errnoNames = ["NotADirectoryError", "InterruptedError", "BlockingIOError", "BrokenPipeError", "ConnectionRefusedError", "ConnectionResetError", "ConnectionAbortedError", "ChildProcessError", "ProcessLookupError"]
    errno = case lookupAttribute "errno" r of
      Just (Int n) | n >= 0 && n <= 65535 -> Just (fromInteger n :: CInt)
      _ -> Nothing
    filename = case lookupAttribute "filename" r of
      Just (Str f) -> Just (T.unpack f)
      _ -> Nothing
    errnoType n = ioe_type (errnoToIOError "" (Errno n) Nothing Nothing)
    io t = ioWith t errno
    ioWith t n = toException (IOError Nothing t "" (T.unpack (excMessage r)) n filename)
